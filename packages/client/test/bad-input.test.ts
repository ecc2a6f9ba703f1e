// Bad input from the server is reported through the 'error' event and never thrown out of the event loop
// (an uncaught exception or unhandled rejection would fail this file under Vitest).

import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, ClientError } from '../src/index.js';
import { collector } from './helpers.js';
import { okReplies, scriptedFetch } from './scripted-fetch.js';

describe('bad input from the server', () => {
  let client: Client | undefined;
  afterEach(async () => {
    await client?.disconnect();
  });

  function start(script: Parameters<typeof scriptedFetch>[0]) {
    const fake = scriptedFetch(script);
    client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
      backoffIncrement: 10,
      maxBackoff: 20,
    });
    const errors = collector<[Error]>();
    client.on('error', errors.handler);
    return { fake, errors, client };
  }

  it('malformed JSON is reported as CLIENT_BAD_MESSAGE and the client retries', async () => {
    let handshakes = 0;
    const { errors, client: c } = start((messages) => {
      if (messages[0]?.channel === '/meta/handshake' && ++handshakes === 1)
        return '[{"channel": "/meta/hands';
      return JSON.stringify(okReplies(messages));
    });
    const connected = c.connect();
    const [error] = await errors.next();
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('CLIENT_BAD_MESSAGE');
    await connected;
    expect(handshakes).toBe(2);
  });

  it('a handshake reply missing clientId is reported and the handshake retried', async () => {
    let handshakes = 0;
    const { errors, client: c } = start((messages) => {
      const replies = okReplies(messages);
      if (messages[0]?.channel === '/meta/handshake' && ++handshakes === 1) delete replies[0]?.clientId;
      return JSON.stringify(replies);
    });
    const connected = c.connect();
    const [error] = await errors.next();
    expect((error as ClientError).code).toBe('CLIENT_BAD_MESSAGE');
    expect(error.message).toContain('clientId');
    await connected;
  });

  it.each([
    ['an invalid channel', { channel: 'no-slash', data: 1 }, 'channel'],
    ['a missing channel', { data: 1 }, 'channel'],
    ['an event without data', { channel: '/chat' }, 'without data'],
    ['a meta message without successful', { channel: '/meta/connect' }, 'without successful'],
    ['a non-object', 42, 'non-object'],
  ])('%s in a reply is reported, and the good messages beside it still arrive', async (_name, bad, text) => {
    let served = false;
    const { errors, client: c } = start((messages) => {
      const replies: unknown[] = okReplies(messages);
      if (messages[0]?.channel === '/meta/connect' && !served) {
        served = true;
        replies.push(bad, { channel: '/chat', data: 'good' });
      }
      return JSON.stringify(replies);
    });
    const inbox = collector<[unknown]>();
    c.subscribe('/chat', inbox.handler);
    const [error] = await errors.next();
    expect((error as ClientError).code).toBe('CLIENT_BAD_MESSAGE');
    expect(error.message).toContain(text);
    expect((await inbox.next())[0]).toBe('good');
  });

  it('a throwing handler is reported, other handlers still run', async () => {
    let served = false;
    const { errors, client: c } = start((messages) => {
      const replies: Message[] = okReplies(messages);
      if (messages[0]?.channel === '/meta/connect' && !served) {
        served = true;
        replies.push({ channel: '/chat', data: 'x' });
      }
      return JSON.stringify(replies);
    });
    c.subscribe('/chat', () => {
      throw new Error('handler bug');
    });
    const ok = collector<[unknown]>();
    c.subscribe('/chat', ok.handler);
    expect((await errors.next())[0].message).toBe('handler bug');
    expect((await ok.next())[0]).toBe('x');
  });
});

describe('bad input over websocket', () => {
  it('malformed JSON and binary frames are reported; the connection keeps working', async () => {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const port = (wss.address() as { port: number }).port;
    wss.on('connection', (ws) => {
      ws.on('message', (raw) => {
        const messages = JSON.parse(String(raw)) as Message[];
        ws.send('{"not json');
        ws.send(Buffer.from([1, 2, 3]));
        const replies = okReplies(messages, { interval: 1000 }).map((m) =>
          m.channel === '/meta/handshake' ? { ...m, supportedConnectionTypes: ['websocket'] } : m,
        );
        ws.send(JSON.stringify(replies));
      });
    });
    const client = new Client(`http://127.0.0.1:${port}/bayeux`, { transports: ['websocket'] });
    const errors = collector<[Error]>();
    client.on('error', errors.handler);
    try {
      await client.connect();
      const first = (await errors.next())[0] as ClientError;
      const second = (await errors.next())[0] as ClientError;
      expect([first.code, second.code]).toEqual(['CLIENT_BAD_MESSAGE', 'CLIENT_BAD_MESSAGE']);
      expect(first.message).toContain('malformed JSON');
      expect(second.message).toContain('binary');
      expect(client.state).toBe('connected');
    } finally {
      await client.disconnect();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});

describe('listener failures', () => {
  it("a throwing 'error' listener does not recurse, and other listeners still run", async () => {
    const fake = scriptedFetch((messages) => {
      const replies: unknown[] = okReplies(messages, { interval: 1000 });
      if (messages[0]?.channel === '/meta/connect') replies.push({ channel: 'bad' });
      return JSON.stringify(replies);
    });
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
    });
    let thrown = 0;
    client.on('error', () => {
      thrown++;
      throw new Error('listener bug');
    });
    const errors = collector<[Error]>();
    client.on('error', errors.handler);
    await client.connect();
    expect((await errors.next())[0].message).toContain('invalid channel');
    expect(thrown).toBe(1);
    await client.disconnect();
  });
});
