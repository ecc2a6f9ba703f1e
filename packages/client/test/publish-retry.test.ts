// Publish delivery guarantee after a failed request (option retryPublishes). A publish whose reply is lost
// may already have been broadcast: re-sending it (Faye) can deliver it twice, so the default is CometD's
// at-most-once. A publish that certainly never left (connection refused) is re-sent either way.

import type { Message } from '@pushwire/bayeux';
import { describe, expect, it } from 'vitest';
import { Client, ClientError } from '../src/index.js';
import { okReplies, scriptedFetch } from './scripted-fetch.js';

/** A server that receives every publish, but whose reply to the first one never arrives. */
function lostFirstReply() {
  const published: Message[] = [];
  const fake = scriptedFetch((messages) => {
    const publishes = messages.filter((m) => m.channel === '/p');
    published.push(...publishes);
    if (publishes.length > 0 && published.length === 1) return null;
    return JSON.stringify(okReplies(messages));
  });
  return { fake, published };
}

describe('publish retry after a lost reply (scripted server)', () => {
  it('by default a publish whose reply was lost is not sent twice: it rejects with CLIENT_TIMEOUT', async () => {
    const { fake, published } = lostFirstReply();
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
      maxNetworkDelay: 100,
    });
    await client.connect();
    const error = await client.publish('/p', 'once').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('CLIENT_TIMEOUT');
    // A later publish proves the client is still working, and that the first was not re-sent before it.
    await client.publish('/p', 'next');
    expect(published.map((m) => m.data)).toEqual(['once', 'next']);
    await client.disconnect();
  });

  it('retryPublishes: true re-sends a publish whose reply was lost (at-least-once: the server sees it twice)', async () => {
    const { fake, published } = lostFirstReply();
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
      maxNetworkDelay: 100,
      retryPublishes: true,
    });
    await client.connect();
    const ack = await client.publish('/p', 'twice');
    expect(ack.successful).toBe(true);
    expect(published.map((m) => m.data)).toEqual(['twice', 'twice']);
    await client.disconnect();
  });

  it('by default a publish refused at connection level (never sent) is still re-sent, once', async () => {
    const published: Message[] = [];
    let refused = 0;
    const ok = scriptedFetch((messages) => {
      published.push(...messages.filter((m) => m.channel === '/p'));
      return JSON.stringify(okReplies(messages));
    });
    const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
      const messages = JSON.parse(String(init?.body)) as Message[];
      if (messages.some((m) => m.channel === '/p') && refused === 0) {
        refused++;
        // What Node's fetch throws when nothing listens on the port.
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
        });
      }
      return ok.fetch(url, init);
    }) as typeof fetch;
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fetchImpl,
      backoffIncrement: 10,
      backoffJitter: 0,
    });
    await client.connect();
    const ack = await client.publish('/p', 'unsent');
    expect(ack.successful).toBe(true);
    expect(refused).toBe(1);
    expect(published.map((m) => m.data)).toEqual(['unsent']);
    await client.disconnect();
  });
});
