// Reconnection: advice handshake re-handshakes and re-subscribes without duplicate handler calls; a
// server restart is survived; publishes made while disconnected are queued (bounded, with deadlines);
// advice `none` stops; exactly one outstanding connect; request timeout = advice.timeout + maxNetworkDelay.

import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Client,
  ClientError,
  type DisconnectedInfo,
  ServerRefusal,
  type TransportName,
} from '../src/index.js';
import { type FayeServer, startFaye } from './faye-server.js';
import { collector, type OurServer, startOurs } from './helpers.js';
import { okReplies, scriptedFetch } from './scripted-fetch.js';

const FAST = { backoffIncrement: 20, maxBackoff: 100, backoffJitter: 0 };

describe("re-handshake on Faye's advice", () => {
  let server: FayeServer;
  let client: Client;
  afterEach(async () => {
    await client?.disconnect();
    await server?.close();
  });

  it.each<TransportName>(['websocket', 'long-polling'])(
    'over %s: the session is destroyed server-side, the client re-handshakes and re-subscribes, no duplicates',
    async (transport) => {
      server = await startFaye({ timeout: 1 });
      const subscribes: Message[] = [];
      server.adapter.addExtension({
        incoming: (message, _req, callback) => {
          if (message.channel === '/meta/subscribe') subscribes.push(message as Message);
          callback(message);
        },
      });
      client = new Client(server.url, { transports: [transport], ...FAST });
      const inbox = collector<[unknown]>();
      await client.subscribe('/feed', inbox.handler);
      // Faye never answers a connect that is in flight when its client is destroyed: wait until the
      // immediate first connect has come back, so the destroy hits the next (held) one.
      await client.connect();
      const firstId = client.clientId!;
      const rehandshake = collector<[Message, boolean]>();
      client.on('handshake', rehandshake.handler);
      // Faye's engine forgets the client: its next /meta/connect gets 401 + advice reconnect 'handshake'.
      (
        server.adapter as unknown as { _server: { _engine: { destroyClient(id: string): void } } }
      )._server._engine.destroyClient(firstId);
      const [, reestablished] = await rehandshake.next();
      expect(reestablished).toBe(true);
      expect(client.clientId).not.toBe(firstId);
      // Wait until the server has the re-subscription, then publish once.
      while (subscribes.length < 2)
        await new Promise<void>((resolve) => client.once('connected', () => resolve()));
      expect(subscribes.map((m) => m.subscription)).toEqual(['/feed', '/feed']);
      expect(subscribes[1]?.clientId).toBe(client.clientId);
      await server.publish('/feed', 'after');
      expect((await inbox.next())[0]).toBe('after');
      await client.publish('/feed', 'mine');
      expect((await inbox.next())[0]).toBe('mine');
      expect(inbox.items.map(([d]) => d)).toEqual(['after', 'mine']);
    },
  );
});

describe('server restart', () => {
  let server: OurServer;
  let client: Client;
  afterEach(async () => {
    await client?.disconnect();
    await server?.close();
  });

  it.each<TransportName>(['websocket', 'long-polling', 'callback-polling', 'short-polling'])(
    'over %s: subscriptions are restored, queued publishes sent, later messages delivered once',
    async (transport) => {
      server = await startOurs({ timeout: 500 });
      const port = server.port;
      client = new Client(server.url, { transports: [transport], shortPollingInterval: 30, ...FAST });
      const inbox = collector<[unknown]>();
      await client.subscribe('/live', inbox.handler);
      await server.bayeux.publish('/live', 1);
      expect((await inbox.next())[0]).toBe(1);

      const lost = new Promise<void>((resolve) => client.once('reconnecting', () => resolve()));
      await server.close();
      await lost;
      // Made while the server is down: queued, sent after the re-handshake.
      const queued = client.publish('/live', 2);
      server = await startOurs({ timeout: 500, port });
      const again = new Promise<void>((resolve) => client.once('connected', () => resolve()));
      await again;
      await queued;
      expect((await inbox.next())[0]).toBe(2);
      await server.bayeux.publish('/live', 3);
      expect((await inbox.next())[0]).toBe(3);
      expect(inbox.items.map(([d]) => d)).toEqual([1, 2, 3]);
    },
  );
});

describe('offline publish queue', () => {
  it('holds maxQueuedPublishes publishes; one more is rejected with CLIENT_QUEUE_FULL', async () => {
    const client = new Client('http://127.0.0.1:9/bayeux', { autoConnect: false, maxQueuedPublishes: 2 });
    const first = client.publish('/a', 1);
    const second = client.publish('/a', 2);
    const third = client.publish('/a', 3);
    await expect(third).rejects.toMatchObject({ code: 'CLIENT_QUEUE_FULL' });
    await client.disconnect();
    await expect(first).rejects.toMatchObject({ code: 'CLIENT_DISCONNECTED' });
    await expect(second).rejects.toMatchObject({ code: 'CLIENT_DISCONNECTED' });
  });

  it('a queued publish past its deadline is rejected with CLIENT_PUBLISH_EXPIRED', async () => {
    const client = new Client('http://127.0.0.1:9/bayeux', { autoConnect: false });
    const started = Date.now();
    const error = await client.publish('/a', 1, { timeout: 50 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('CLIENT_PUBLISH_EXPIRED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    await client.disconnect();
  });
});

describe('advice and timing (scripted server)', () => {
  it("advice reconnect 'none' on the handshake stops the client and rejects connect()", async () => {
    const fake = scriptedFetch((messages) =>
      JSON.stringify([
        {
          channel: '/meta/handshake',
          id: messages[0]?.id,
          successful: false,
          error: '403::handshake_denied',
          advice: { reconnect: 'none' },
        },
      ]),
    );
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
    });
    const errors = collector<[Error]>();
    client.on('error', errors.handler);
    const stopped = new Promise<DisconnectedInfo>((resolve) => client.once('disconnected', resolve));
    const error = await client.connect().catch((err: unknown) => err);
    // A typed ClientError with a stable code; the server's Bayeux error is its cause.
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('CLIENT_HANDSHAKE_DENIED');
    expect((error as ClientError).message).toContain('403::handshake_denied');
    const refusal = (error as ClientError).cause;
    expect(refusal).toBeInstanceOf(ServerRefusal);
    expect((refusal as ServerRefusal).code).toBe(403);
    expect(errors.items.map(([e]) => (e as ClientError).code)).toEqual(['CLIENT_HANDSHAKE_DENIED']);
    expect((await stopped).cause).toBe(error);
    expect(client.state).toBe('disconnected');
    expect(fake.sent).toHaveLength(1);
  });

  it("advice reconnect 'none' on a connect stops the client", async () => {
    let connects = 0;
    const fake = scriptedFetch((messages) => {
      if (messages[0]?.channel === '/meta/connect' && ++connects === 2) {
        return JSON.stringify([
          {
            channel: '/meta/connect',
            id: messages[0].id,
            successful: false,
            error: '402::session_unknown',
            advice: { reconnect: 'none' },
          },
        ]);
      }
      return JSON.stringify(okReplies(messages, { interval: 0 }));
    });
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
    });
    client.on('error', () => undefined);
    const stopped = new Promise<void>((resolve) => client.once('disconnected', () => resolve()));
    await client.connect();
    await stopped;
    expect(connects).toBe(2);
    expect(client.state).toBe('disconnected');
  });

  it('keeps exactly one outstanding /meta/connect while subscribing and publishing', async () => {
    const fake = scriptedFetch(async (messages) => {
      if (messages[0]?.channel === '/meta/connect' && messages[0].advice === undefined) {
        // A held connect: answered after a short hold, like a server with timeout advice.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return JSON.stringify(okReplies(messages));
    });
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
    });
    await client.connect();
    for (let i = 0; i < 5; i++) {
      await client.subscribe(`/c${i}`, () => undefined);
      await client.publish(`/c${i}`, i);
    }
    await client.disconnect();
    expect(fake.maxOpenConnects).toBe(1);
    // Every connect travels alone (a server holds a connect only when it is alone in its request).
    for (const batch of fake.sent) {
      if (batch.some((m) => m.channel === '/meta/connect')) expect(batch).toHaveLength(1);
    }
  });

  it('a held connect times out after advice.timeout + maxNetworkDelay, then the client retries', async () => {
    let connects = 0;
    let hungAt = 0;
    let retriedAt = 0;
    const fake = scriptedFetch((messages) => {
      const m = messages[0]!;
      if (m.channel === '/meta/handshake') {
        return JSON.stringify([
          { ...okReplies(messages)[0], advice: { reconnect: 'retry', interval: 0, timeout: 150 } },
        ]);
      }
      if (m.channel === '/meta/connect') {
        connects++;
        if (connects === 2) {
          hungAt = Date.now();
          return null;
        }
        if (connects === 3) retriedAt = Date.now();
      }
      // Bayeux §3.6: advice replaces earlier advice, so every reply repeats the hold time.
      return JSON.stringify(okReplies(messages, { interval: 0, timeout: 150 }));
    });
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
      maxNetworkDelay: 100,
      ...FAST,
    });
    const down = new Promise<void>((resolve) => client.once('transport:down', () => resolve()));
    await client.connect();
    await down;
    const waited = Date.now() - hungAt;
    // 250 ms armed when the request was queued, a little before the fetch ran: above maxNetworkDelay alone
    // (100) and above the advised hold alone (150), with a margin for a loaded machine.
    expect(waited).toBeGreaterThanOrEqual(180);
    // Far below the 60 s default hold: the advised 150 ms + 100 ms set the timeout (loose upper bound for CI load).
    expect(waited).toBeLessThan(5000);
    await new Promise<void>((resolve) => client.once('connected', () => resolve()));
    expect(retriedAt).toBeGreaterThan(hungAt);
    await client.disconnect();
  });

  it('onBeforeHandshake runs before every handshake and can refresh ext credentials', async () => {
    let handshakes = 0;
    const tokens: unknown[] = [];
    const fake = scriptedFetch((messages) => {
      const m = messages[0]!;
      if (m.channel === '/meta/handshake') {
        handshakes++;
        tokens.push(m.ext?.token);
      }
      if (m.channel === '/meta/connect' && handshakes === 1) {
        return JSON.stringify([
          {
            channel: '/meta/connect',
            id: m.id,
            successful: false,
            error: '402::session_unknown',
            advice: { reconnect: 'handshake', interval: 0 },
          },
        ]);
      }
      return JSON.stringify(okReplies(messages));
    });
    let n = 0;
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
      ...FAST,
      onBeforeHandshake: async (message) => {
        await Promise.resolve();
        message.ext = { ...message.ext, token: `t${++n}` };
      },
    });
    await client.connect();
    expect(tokens).toEqual(['t1', 't2']);
    await client.disconnect();
  });
});

describe('re-handshake loop backoff (scripted server)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a session that dies before any connect succeeded re-handshakes with growing backoff, not in a tight loop', async () => {
    // A non-sticky balancer over per-node memory engines: every handshake succeeds, every connect lands on
    // a node that never heard of the session (402 + advice handshake, interval 0).
    // Only setTimeout and Date are faked: zero-delay steps (setImmediate) stay real, so a loop without
    // backoff shows up as handshakes at the same fake instant.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const handshakeTimes: number[] = [];
    let connects = 0;
    const fake = scriptedFetch((messages) => {
      const m = messages[0]!;
      if (m.channel === '/meta/handshake') handshakeTimes.push(Date.now());
      if (m.channel === '/meta/connect') {
        connects++;
        return JSON.stringify([
          {
            channel: m.channel,
            id: m.id,
            successful: false,
            error: '402::session_unknown',
            advice: { reconnect: 'handshake', interval: 0 },
          },
        ]);
      }
      return JSON.stringify(okReplies(messages));
    });
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
      backoffIncrement: 100,
      maxBackoff: 400,
      backoffJitter: 0,
    });
    const start = Date.now();
    void client.connect().catch(() => undefined);
    for (let step = 0; step < 400 && handshakeTimes.length < 7; step++) await vi.advanceTimersByTimeAsync(10);
    const stopped = client.disconnect();
    await vi.runOnlyPendingTimersAsync();
    await stopped;
    const gaps = handshakeTimes.slice(0, 7).map((t, i) => t - (handshakeTimes[i - 1] ?? start));
    expect(gaps).toEqual([0, 100, 200, 300, 400, 400, 400]);
    expect(connects).toBeGreaterThanOrEqual(6);
  });

  it('a session that worked and then expired re-handshakes at once (advice interval), without backoff', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const handshakeTimes: number[] = [];
    let connects = 0;
    const fake = scriptedFetch((messages) => {
      const m = messages[0]!;
      if (m.channel === '/meta/handshake') handshakeTimes.push(Date.now());
      // The first connect of each session succeeds, the second finds the session gone.
      if (m.channel === '/meta/connect' && ++connects % 2 === 0) {
        return JSON.stringify([
          {
            channel: m.channel,
            id: m.id,
            successful: false,
            error: '402::session_unknown',
            advice: { reconnect: 'handshake', interval: 0 },
          },
        ]);
      }
      return JSON.stringify(okReplies(messages, { interval: 50 }));
    });
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
      backoffIncrement: 100,
      maxBackoff: 400,
      backoffJitter: 0,
    });
    const start = Date.now();
    void client.connect().catch(() => undefined);
    for (let step = 0; step < 100 && handshakeTimes.length < 4; step++) await vi.advanceTimersByTimeAsync(10);
    const stopped = client.disconnect();
    await vi.runOnlyPendingTimersAsync();
    await stopped;
    // Each session: connect ok, wait the advised 50 ms, connect refused, re-handshake with no added delay.
    const gaps = handshakeTimes.slice(0, 4).map((t, i) => t - (handshakeTimes[i - 1] ?? start));
    expect(gaps).toEqual([0, 50, 50, 50]);
  });
});

describe('session lost on a publish (scripted server)', () => {
  it('a publish refused with 402 is re-sent in a new session; two refusals cause one re-handshake', async () => {
    let handshakes = 0;
    const published: Message[] = [];
    const fake = scriptedFetch((messages) => {
      const replies = messages.map((m): Message => {
        if (m.channel === '/meta/handshake') {
          handshakes++;
          return { ...okReplies([m])[0]!, clientId: `c${handshakes}` };
        }
        if (m.channel === '/p') {
          published.push(m);
          // Faye and CometD put no advice on publish replies: the code is all the client gets.
          if (m.clientId === 'c1')
            return { channel: m.channel, id: m.id, successful: false, error: '402::session_unknown' };
        }
        return okReplies([m])[0]!;
      });
      return JSON.stringify(replies);
    });
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
    });
    await client.connect();
    const acks = await Promise.all(client.batch(() => [client.publish('/p', 1), client.publish('/p', 2)]));
    expect(acks.map((a) => a.successful)).toEqual([true, true]);
    expect(handshakes).toBe(2);
    expect(published.map((m) => [m.clientId, m.data])).toEqual([
      ['c1', 1],
      ['c1', 2],
      ['c2', 1],
      ['c2', 2],
    ]);
    await client.disconnect();
  });
});
