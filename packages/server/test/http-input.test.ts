// Bad input and limits on the HTTP transports: every limit crossed by one, and the server stays up.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  connectedClient,
  HANDSHAKE,
  type Harness,
  handshake,
  post,
  startServer,
} from './helpers/http.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The server still answers a normal handshake. */
async function stillUp(url: string): Promise<void> {
  const { clientId } = await handshake(url);
  expect(clientId).toBeTruthy();
}

describe('long-polling body decoding', () => {
  it('accepts one bare object as well as an array', async () => {
    h = await startServer();
    const { messages } = await post(h.url, { ...HANDSHAKE });
    expect(messages[0]).toMatchObject({ channel: '/meta/handshake', successful: true });
  });

  it('accepts form-encoded message= (one or several values)', async () => {
    h = await startServer();
    const { clientId } = await handshake(h.url);
    const body = new URLSearchParams();
    body.append(
      'message',
      JSON.stringify({ channel: '/meta/subscribe', clientId, subscription: '/a', id: '1' }),
    );
    body.append('message', JSON.stringify([{ channel: '/a', clientId, data: 2, id: '2' }]));
    const res = await post(h.url, body.toString(), {
      raw: true,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    expect(res.messages.map((m) => [m.id, m.successful])).toEqual([
      ['1', true],
      ['2', true],
    ]);
  });

  it('accepts text/plain carrying either JSON or message= (cross-origin XHR without a content type)', async () => {
    h = await startServer();
    const a = await post(h.url, JSON.stringify([HANDSHAKE]), {
      raw: true,
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(a.messages[0]?.successful).toBe(true);
    const b = await post(h.url, `message=${encodeURIComponent(JSON.stringify([HANDSHAKE]))}`, {
      raw: true,
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
    });
    expect(b.messages[0]?.successful).toBe(true);
  });

  it.each([
    ['malformed JSON', '[{"channel": ', 'application/json', 'malformed JSON'],
    ['a scalar body', '42', 'application/json', 'messages must be JSON objects'],
    ['a string body', '"x"', 'application/json', 'messages must be JSON objects'],
    ['a JSON scalar', '42', 'application/json', 'messages must be JSON objects'],
    ['an empty array', '[]', 'application/json', 'empty message array'],
    ['a wrong content type', '[]', 'application/xml', "unsupported content type 'application/xml'"],
    ['a form without message', 'foo=1', 'application/x-www-form-urlencoded', "no 'message' parameter"],
  ])('answers %s with 400 and a short reason, and stays up', async (_, body, type, reason) => {
    h = await startServer();
    const res = await post(h.url, body, { raw: true, headers: { 'Content-Type': type } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe(`${reason}\n`);
    await stillUp(h.url);
  });

  it('answers other methods with 405', async () => {
    h = await startServer({ transports: ['long-polling'] });
    const res = await fetch(h.url, { method: 'PUT', body: '[]' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, GET, OPTIONS');
  });

  it('leaves other paths alone (404 without other listeners)', async () => {
    h = await startServer();
    expect((await fetch(`${h.origin}/elsewhere`)).status).toBe(404);
    expect((await fetch(`${h.url}x`, { method: 'POST', body: '[]' })).status).toBe(404);
    expect((await fetch(`${h.url}/a/b`, { method: 'POST', body: '[]' })).status).toBe(404);
    // CometD appends the meta type to the URL: /bayeux/handshake is ours.
    expect((await post(`${h.url}/handshake`, [HANDSHAKE])).messages[0]?.successful).toBe(true);
  });
});

describe('limits', () => {
  it('maxMessageSize: a body of exactly the limit is read, one byte more is 413', async () => {
    h = await startServer({ maxMessageSize: 200 });
    const msg = JSON.stringify([{ ...HANDSHAKE, pad: '' }]);
    const exact = JSON.stringify([{ ...HANDSHAKE, pad: 'x'.repeat(200 - msg.length) }]);
    expect(Buffer.byteLength(exact)).toBe(200);
    expect((await post(h.url, exact, { raw: true })).status).toBe(200);
    const over = JSON.stringify([{ ...HANDSHAKE, pad: 'x'.repeat(201 - msg.length) }]);
    const res = await post(h.url, over, { raw: true });
    expect(res.status).toBe(413);
    expect(res.text).toBe('body larger than 200 bytes\n');
    await stillUp(h.url);
  });

  it('maxMessageSize: a chunked body without Content-Length is cut off at the limit too', async () => {
    h = await startServer({ maxMessageSize: 150 });
    const url = new URL(h.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('['.padEnd(100, ' '));
      req.write(' '.repeat(51));
      // Never ended: the server must answer without waiting for the rest.
    });
    expect(status).toBe(413);
    await stillUp(h.url);
  });

  it('maxMessagesPerRequest: exactly the limit is processed; one more gets its own too_many_messages reply', async () => {
    h = await startServer({ maxMessagesPerRequest: 3 });
    const { clientId } = await handshake(h.url);
    const pub = (i: number) => ({ channel: '/a', clientId, data: i, id: String(i) });
    const ok = await post(h.url, [pub(1), pub(2), pub(3)]);
    expect(ok.messages.map((m) => [m.id, m.successful])).toEqual([
      ['1', true],
      ['2', true],
      ['3', true],
    ]);
    const res = await post(h.url, [pub(1), pub(2), pub(3), pub(4), {}, {}]);
    expect(res.status).toBe(200);
    expect(res.messages.slice(0, 3).map((m) => [m.id, m.successful])).toEqual([
      ['1', true],
      ['2', true],
      ['3', true],
    ]);
    // The 4th names itself; the two anonymous ones share one reply.
    expect(res.messages.slice(3)).toEqual([
      { channel: '/a', id: '4', successful: false, error: '400:3:too_many_messages' },
      { channel: '/meta/unsuccessful', successful: false, error: '400:3:too_many_messages' },
    ]);
  });

  it('maxMessagesPerRequest defaults to 10000: a batch of 10000 publishes is processed, one more is refused alone', async () => {
    h = await startServer();
    const { clientId } = await handshake(h.url);
    const batch = Array.from({ length: 10_001 }, (_, i) => ({
      channel: '/a',
      clientId,
      data: i,
      id: String(i),
    }));
    const res = await post(h.url, batch);
    expect(res.status).toBe(200);
    expect(res.messages).toHaveLength(10_001);
    expect(res.messages.filter((m) => m.successful === true)).toHaveLength(10_000);
    expect(res.messages[10_000]).toEqual({
      channel: '/a',
      id: '10000',
      successful: false,
      error: '400:10000:too_many_messages',
    });
  });

  it('maxSubscriptionsPerClient: the limit is reached, one more is refused', async () => {
    h = await startServer({ maxSubscriptionsPerClient: 2 });
    h.engine.maxSubscriptions = 2;
    const { clientId } = await handshake(h.url);
    const sub = (s: string) => ({ channel: '/meta/subscribe', clientId, subscription: s, id: s.slice(1) });
    const { messages } = await post(h.url, [sub('/a'), sub('/b'), sub('/c')]);
    expect(messages.map((m) => m.successful)).toEqual([true, true, false]);
    expect(messages[2]).toMatchObject({ subscription: '/c', error: '403:2:subscriptions_exceeded' });
  });

  it('rejects nonsense limits at construction', async () => {
    const { createBayeuxServer } = await import('../src/index.js');
    expect(() => createBayeuxServer({ maxMessageSize: 0 })).toThrow(/maxMessageSize/);
    expect(() => createBayeuxServer({ transports: ['websocket'] })).toThrow(/long-polling/);
  });

  it('configuration errors: TypeError for a wrong type, RangeError for a number out of range, each naming the option', async () => {
    const { createBayeuxServer } = await import('../src/index.js');
    const make = (o: Record<string, unknown>) => () => createBayeuxServer(o as never);
    expect(make({ maxMessagesPerRequest: '100' })).toThrow(TypeError);
    expect(make({ maxMessagesPerRequest: '100' })).toThrow(/maxMessagesPerRequest must be a number/);
    expect(make({ maxMessagesPerRequest: 0 })).toThrow(RangeError);
    expect(make({ maxMessagesPerRequest: 1.5 })).toThrow(/maxMessagesPerRequest must be an integer >= 1/);
    expect(make({ timeout: -1 })).toThrow(RangeError);
    expect(make({ timeout: Number.NaN })).toThrow(RangeError);
    expect(make({ maxSessionsPerBrowser: '1' })).toThrow(TypeError);
    expect(make({ maxSessionsPerBrowser: 0.5 })).toThrow(RangeError);
    expect(make({ multiSessionInterval: -5 })).toThrow(/multiSessionInterval/);
    const ok = createBayeuxServer({ maxSessionsPerBrowser: -1, maxMessagesPerRequest: 1 });
    expect(ok.options.maxSessionsPerBrowser).toBe(-1);
    await ok.close();
  });

  it('one bad message in a batch gets its own error; the others are processed', async () => {
    h = await startServer();
    const clientId = await connectedClient(h.url);
    const { messages } = await post(h.url, [
      { channel: '/a', clientId, data: 1, id: 'bad id!' },
      { channel: '/a/*', clientId, data: 1, id: 'w' },
      { clientId, data: 1, id: 'nochan' },
      { channel: '/meta/subscribe/x', clientId, subscription: '/a', id: 'cve' },
      connect(clientId, 'ok'),
    ]);
    expect(messages.map((m) => [m.id, m.error ?? m.successful])).toEqual([
      [undefined, '405::message_id_invalid'],
      ['w', '405::channel_invalid'],
      ['nochan', '400::channel_missing'],
      ['cve', '405::channel_invalid'],
      ['ok', true],
    ]);
  });
});

describe('handle(req, res) for frameworks', () => {
  async function frameworkServer(
    parse: (raw: string, type: string) => unknown,
  ): Promise<{ url: string; other: string[]; close(): Promise<void> }> {
    const { createServer } = await import('node:http');
    const { createBayeuxServer } = await import('../src/index.js');
    const { TestEngine } = await import('./helpers/test-engine.js');
    const bayeux = createBayeuxServer({ engine: new TestEngine(), maxMessageSize: 300 });
    const other: string[] = [];
    const server = createServer((req, res) => {
      // What a body-parser middleware does: drain the stream, set req.body, then call the next handler.
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', async () => {
        (req as typeof req & { body?: unknown }).body =
          raw === '' ? undefined : parse(raw, req.headers['content-type'] ?? '');
        if (!(await bayeux.handle(req, res))) {
          other.push(req.url ?? '');
          res.end('app');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}/bayeux`,
      other,
      async close() {
        await bayeux.close();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      },
    };
  }

  it('takes messages from a body already parsed to an object (express.json), and returns false for other paths', async () => {
    const s = await frameworkServer((raw) => JSON.parse(raw));
    try {
      const { messages } = await post(s.url, [HANDSHAKE]);
      expect(messages[0]).toMatchObject({ channel: '/meta/handshake', successful: true });
      expect(await (await fetch(s.url.replace('/bayeux', '/app'))).text()).toBe('app');
      expect(s.other).toEqual(['/app']);
      const big = await post(s.url, [{ ...HANDSHAKE, pad: 'x'.repeat(300) }]);
      expect(big.status).toBe(413);
    } finally {
      await s.close();
    }
  });

  it('takes messages from a parsed form ({ message }) and from a raw string body', async () => {
    const form = await frameworkServer((raw, type) =>
      type.startsWith('application/x-www-form-urlencoded')
        ? Object.fromEntries(new URLSearchParams(raw))
        : raw,
    );
    try {
      const viaForm = await post(form.url, `message=${encodeURIComponent(JSON.stringify([HANDSHAKE]))}`, {
        raw: true,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      expect(viaForm.messages[0]?.successful).toBe(true);
      const viaText = await post(form.url, JSON.stringify([HANDSHAKE]), { raw: true });
      expect(viaText.messages[0]?.successful).toBe(true);
    } finally {
      await form.close();
    }
  });
});
