// API edges: channel validation, batch(), callback-polling URL limits end to end, the browser bundle.

import { runInNewContext } from 'node:vm';
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { browserBundle, buildBrowserBundle } from '../src/browser-bundle.js';
import { CookieJar, MAX_COOKIES } from '../src/cookies.js';
import { Client, ClientError } from '../src/index.js';
import { collector, type OurServer, startOurs } from './helpers.js';
import { okReplies, scriptedFetch } from './scripted-fetch.js';

describe('channel validation', () => {
  const client = new Client('http://127.0.0.1:9/bayeux', { autoConnect: false });

  it.each(['no-slash', '/a/*/b', '/meta/connect', '/meta/*', ''])(
    'subscribe(%j) rejects with CLIENT_INVALID_CHANNEL',
    async (channel) => {
      const error = await client
        .subscribe(channel, () => undefined)
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(error).toBeInstanceOf(ClientError);
      expect((error as ClientError).code).toBe('CLIENT_INVALID_CHANNEL');
    },
  );

  it('an invalid subscription that nobody awaits is not an unhandled rejection', () => {
    // Vitest fails the run on unhandled rejections; this would surface there.
    client.subscribe('bad', () => undefined);
  });

  it.each(['/a/*', '/a/**', '/meta/handshake', 'x'])(
    'publish(%j) rejects with CLIENT_INVALID_CHANNEL',
    async (channel) => {
      await expect(client.publish(channel, 1)).rejects.toMatchObject({ code: 'CLIENT_INVALID_CHANNEL' });
    },
  );

  it('remoteCall outside /service/ rejects with CLIENT_INVALID_CHANNEL', async () => {
    await expect(client.remoteCall('/chat', 1)).rejects.toMatchObject({ code: 'CLIENT_INVALID_CHANNEL' });
  });
});

describe('batch()', () => {
  it('sends everything made inside one batch in one request', async () => {
    const fake = scriptedFetch((messages) => JSON.stringify(okReplies(messages)));
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
    });
    await client.connect();
    const before = fake.sent.length;
    const replies: PromiseLike<unknown>[] = [];
    // The batch is held until the async function settles; replies are awaited outside it.
    await client.batch(async () => {
      replies.push(client.publish('/a', 1));
      await Promise.resolve();
      replies.push(
        client.publish('/b', 2),
        client.subscribe('/c', () => undefined),
      );
    });
    await Promise.all(replies);
    const batches = fake.sent.slice(before).filter((b) => b.every((m) => m.channel !== '/meta/connect'));
    expect(batches).toHaveLength(1);
    expect(batches[0]?.map((m: Message) => m.channel)).toEqual(['/a', '/b', '/meta/subscribe']);
    await client.disconnect();
  });
});

describe('callback-polling URL limit end to end (our server)', () => {
  let server: OurServer;
  let client: Client;
  afterEach(async () => {
    await client?.disconnect();
    await server?.close();
  });

  it('splits a batch across requests and refuses only the message that cannot fit', async () => {
    server = await startOurs();
    const urls: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };
    client = new Client(server.url, {
      transports: ['callback-polling'],
      maxURILength: 400,
      fetch: recordingFetch,
    });
    const inbox = collector<[unknown]>();
    await client.subscribe('/c', inbox.handler);
    const sent = client.batch(() => [
      client.publish('/c', 'a'.repeat(60)),
      client.publish('/c', 'x'.repeat(500)),
      client.publish('/c', 'b'.repeat(60)),
    ]);
    const results = await Promise.allSettled(sent);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'CLIENT_MESSAGE_TOO_LARGE' });
    for (const url of urls) expect(url.length).toBeLessThanOrEqual(400);
    expect((await inbox.next())[0]).toBe('a'.repeat(60));
    expect((await inbox.next())[0]).toBe('b'.repeat(60));
  });
});

describe('browser bundle', () => {
  it('browserBundle() (what a server serves) defines the global Pushwire with the client API', async () => {
    const code = await browserBundle();
    expect(code.length).toBeLessThan(60_000);
    const sandbox: Record<string, unknown> = {};
    runInNewContext(code, sandbox);
    const api = sandbox.Pushwire as Record<string, unknown>;
    for (const name of ['Client', 'ackExtension', 'timesyncExtension', 'ClientError', 'BayeuxError']) {
      expect(typeof api[name]).toBe('function');
    }
    expect(await browserBundle()).toBe(code);
  });

  it.each(['esm', 'iife'] as const)(
    '%s build has no Node built-ins and no Node WebSocket client',
    async (format) => {
      const code = await buildBrowserBundle(format);
      expect(code).not.toMatch(/from\s*["']node:|require\(["']node:|import\(["']node:/);
      expect(code).not.toContain('@pushwire/websocket');
      // Our Node WebSocket client computes Sec-WebSocket-Accept; the browser build must not carry it.
      expect(code).not.toContain('258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
      if (format === 'iife') expect(code).toMatch(/^var Pushwire = /m);
      else expect(code).toMatch(/export \{[^}]*\bClient\b/);
    },
  );
});

describe('remoteCall (CometD wire, scripted server)', () => {
  it('ignores a bare ack, resolves with the data of the reply on the same channel and id', async () => {
    const fake = scriptedFetch((messages) => {
      const m = messages[0]!;
      if (m.channel === '/service/add') {
        const [a, b] = m.data as [number, number];
        return JSON.stringify([
          { channel: m.channel, id: m.id, successful: true },
          { channel: m.channel, id: m.id, successful: true, data: a + b },
        ]);
      }
      return JSON.stringify(okReplies(messages));
    });
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
    });
    await expect(client.remoteCall<number>('/service/add', [2, 3])).resolves.toBe(5);
    await client.disconnect();
  });

  it('a failed call rejects with the reply attached; an unanswered call times out', async () => {
    const fake = scriptedFetch((messages) => {
      const m = messages[0]!;
      if (m.channel === '/service/fail') {
        return JSON.stringify([
          { channel: m.channel, id: m.id, successful: false, data: { reason: 'nope' } },
        ]);
      }
      if (m.channel === '/service/slow') return JSON.stringify([]);
      return JSON.stringify(okReplies(messages));
    });
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
    });
    const failure = await client.remoteCall('/service/fail', 1).catch((err: unknown) => err);
    expect(failure).toMatchObject({ reply: { data: { reason: 'nope' } } });
    const started = Date.now();
    await expect(client.remoteCall('/service/slow', 1, { timeout: 100 })).rejects.toMatchObject({
      code: 'CLIENT_TIMEOUT',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    await client.disconnect();
  });
});

describe('headers option', () => {
  let server: OurServer;
  afterEach(async () => {
    await server?.close();
  });

  it.each(['websocket', 'long-polling', 'callback-polling'] as const)(
    'sends extra headers over %s (Node)',
    async (transport) => {
      server = await startOurs();
      const seen: unknown[] = [];
      server.http.prependListener('request', (req) => seen.push(req.headers['x-token']));
      server.http.prependListener('upgrade', (req) => seen.push(req.headers['x-token']));
      const client = new Client(server.url, { transports: [transport], headers: { 'X-Token': 'secret' } });
      await client.connect();
      await client.disconnect();
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((v) => v === 'secret')).toBe(true);
    },
  );
});

describe('cookies (Node)', () => {
  it('CookieJar keeps name=value pairs, honours deletion, and holds at most MAX_COOKIES', () => {
    const jar = new CookieJar();
    expect(jar.header()).toBeUndefined();
    jar.store(['BAYEUX_BROWSER=abc; Path=/; HttpOnly', 'LB=n1']);
    expect(jar.header()).toBe('BAYEUX_BROWSER=abc; LB=n1');
    jar.store(['LB=gone; Max-Age=0', 'bad-no-equals']);
    expect(jar.header()).toBe('BAYEUX_BROWSER=abc');
    const full = new CookieJar();
    full.store(Array.from({ length: MAX_COOKIES }, (_, i) => `c${i}=${i}`));
    expect(full.header()?.split('; ')).toHaveLength(MAX_COOKIES);
    full.store(['one=more']);
    const names = full
      .header()
      ?.split('; ')
      .map((p) => p.split('=')[0]);
    expect(names).toHaveLength(MAX_COOKIES);
    expect(names).not.toContain('c0');
    expect(names).toContain('one');
  });

  it.each(['long-polling', 'callback-polling'] as const)(
    'over %s the server cookies (BAYEUX_BROWSER, a balancer cookie) come back on later requests',
    async (transport) => {
      const server = await startOurs();
      const cookies: (string | undefined)[] = [];
      server.http.prependListener('request', (req, res) => {
        cookies.push(req.headers.cookie);
        if (cookies.length === 1) res.appendHeader('Set-Cookie', 'LB=node1; Path=/');
      });
      const client = new Client(server.url, { transports: [transport] });
      try {
        await client.connect();
        await client.publish('/c', 1);
        expect(cookies[0]).toBeUndefined();
        const later = cookies.slice(1);
        expect(later.length).toBeGreaterThan(0);
        for (const header of later) {
          expect(header).toContain('LB=node1');
          expect(header).toMatch(/BAYEUX_BROWSER=[\w-]+/);
        }
      } finally {
        await client.disconnect();
        await server.close();
      }
    },
  );

  it('cookies: false keeps no cookies', async () => {
    const server = await startOurs();
    const cookies: (string | undefined)[] = [];
    server.http.prependListener('request', (req) => cookies.push(req.headers.cookie));
    const client = new Client(server.url, { transports: ['long-polling'], cookies: false });
    try {
      await client.connect();
      expect(cookies.every((c) => c === undefined)).toBe(true);
    } finally {
      await client.disconnect();
      await server.close();
    }
  });
});
