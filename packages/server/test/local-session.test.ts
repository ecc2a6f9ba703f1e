// The in-process session (bayeux.localSession()): subscribes with wildcards and publishes through the
// same engine as remote clients, delivered over the engine's wake path like a websocket binding; never
// expires while it lives; comes back after the engine destroys it; the publish event fires for it.

import { Client } from '@pushwire/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryEngine } from '../src/index.js';
import { type Harness, startServer, until } from './helpers/http.js';

let harness: Harness | undefined;
const clients: Client[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) await c.disconnect().catch(() => {});
  await harness?.close();
  harness = undefined;
});

function waiter<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('LocalSession', () => {
  for (const transport of ['websocket', 'long-polling', 'callback-polling', 'short-polling'] as const) {
    it(`meets a Bayeux client on ${transport}, both directions, wildcards included`, async () => {
      harness = await startServer({}, createMemoryEngine() as never);
      const local = harness.bayeux.localSession();
      const fromRemote = waiter<[unknown, string]>();
      await local.subscribe('/chat/**', (data, channel) => fromRemote.resolve([data, channel]));
      const client = new Client(harness.url, { transports: [transport], shortPollingInterval: 50 });
      clients.push(client);
      const atRemote = waiter<unknown>();
      await client.subscribe('/chat/room', (data) => atRemote.resolve(data));
      await client.publish('/chat/room/deep', { from: 'remote' });
      expect(await fromRemote.promise).toEqual([{ from: 'remote' }, '/chat/room/deep']);
      // Two recipients: the remote client, and this session itself (its /chat/** matches too).
      expect(await local.publish('/chat/room', { from: 'local' })).toBe(2);
      expect(await atRemote.promise).toEqual({ from: 'local' });
      await local.close();
    });
  }

  it('several handlers on one pattern share one engine subscription; unsubscribe removes it with the last', async () => {
    harness = await startServer({}, createMemoryEngine() as never);
    const events: string[] = [];
    harness.bayeux.on('subscribe', (e) => void events.push(`+${e.subscription}`));
    harness.bayeux.on('unsubscribe', (e) => void events.push(`-${e.subscription}`));
    const local = harness.bayeux.localSession();
    const got: string[] = [];
    const a = (d: unknown): void => void got.push(`a ${String(d)}`);
    const b = (d: unknown): void => void got.push(`b ${String(d)}`);
    await local.subscribe('/x/*', a);
    await local.subscribe('/x/*', b);
    const id = await local.ready();
    expect(await harness.bayeux.engine.subscriptions(id)).toEqual(['/x/*']);
    await local.publish('/x/1', 'one');
    await vi.waitUntil(() => got.length === 2);
    expect(got.sort()).toEqual(['a one', 'b one']);
    await local.unsubscribe('/x/*', a);
    expect(await harness.bayeux.engine.subscriptions(id)).toEqual(['/x/*']);
    await local.unsubscribe('/x/*', b);
    expect(await harness.bayeux.engine.subscriptions(id)).toEqual([]);
    expect(events).toEqual(['+/x/*', '-/x/*']);
    await expect(local.subscribe('/meta/connect', a)).rejects.toThrow(TypeError);
    await expect(local.subscribe('/service/x', a)).rejects.toThrow(TypeError);
    await local.close();
    await expect(local.publish('/x/1', 'late')).rejects.toThrow(/closed/);
    expect(await harness.bayeux.engine.clientExists(id)).toBe(false);
  });

  it('the publish event fires for local-session publishes, with the session as publisher', async () => {
    harness = await startServer({}, createMemoryEngine() as never);
    const seen: { clientId: string | undefined; channel: string }[] = [];
    harness.bayeux.on('publish', (e) => void seen.push({ clientId: e.clientId, channel: e.channel }));
    const local = harness.bayeux.localSession();
    const id = await local.ready();
    await local.publish('/a', 1);
    await harness.bayeux.publish('/b', 2);
    expect(seen).toEqual([
      { clientId: id, channel: '/a' },
      { clientId: undefined, channel: '/b' },
    ]);
    await local.close();
  });

  it('never expires while it lives (engine sweeper, fake clock)', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const engine = createMemoryEngine({ maxInterval: 1000, sweepInterval: 100 });
    harness = await startServer({ maxInterval: 1000 }, engine as never);
    const local = harness.bayeux.localSession();
    const id = await local.ready();
    const other = await engine.createClient(); // an ordinary client that never connects
    await vi.advanceTimersByTimeAsync(5000);
    expect(await engine.clientExists(other)).toBe(false);
    expect(await engine.clientExists(id)).toBe(true);
    await local.close();
  });

  it('comes back with its subscriptions after the engine destroys it', async () => {
    harness = await startServer({}, createMemoryEngine() as never);
    const local = harness.bayeux.localSession();
    const got: unknown[] = [];
    await local.subscribe('/news', (d) => void got.push(d));
    const first = await local.ready();
    await harness.bayeux.engine.destroyClient(first, 'disconnect');
    await vi.waitUntil(async () => local.clientId !== undefined && local.clientId !== first);
    const second = await local.ready();
    expect(second).not.toBe(first);
    expect(await harness.bayeux.engine.subscriptions(second)).toEqual(['/news']);
    await harness.bayeux.publish('/news', 'after');
    await vi.waitUntil(() => got.length === 1);
    expect(got).toEqual(['after']);
    await local.close();
  });

  it('is closed by bayeux.close()', async () => {
    harness = await startServer({}, createMemoryEngine() as never);
    const local = harness.bayeux.localSession();
    await local.ready();
    await harness.bayeux.close();
    expect(local.closed).toBe(true);
    expect(() => harness!.bayeux.localSession()).toThrow(/closing/);
  });

  describe('presence and history (issue 9)', () => {
    const channels = {
      '/room/**': { history: { size: 5 }, presence: true },
    };

    it('a session with info is a presence member a Bayeux client sees join and leave', async () => {
      harness = await startServer(
        { channels, presenceInfo: (m) => (m.ext as { nick?: string } | undefined)?.nick ?? null },
        createMemoryEngine() as never,
      );
      const client = new Client(harness.url, {
        transports: ['websocket'],
        onBeforeHandshake: (m) => {
          m.ext = { ...m.ext, nick: 'remote' };
        },
      });
      clients.push(client);
      const events: string[] = [];
      await client.subscribe('/presence/room/a', (d) => {
        const e = d as { action: string; member: { info: unknown }; count: number };
        events.push(`${e.action} ${JSON.stringify(e.member.info)} ${e.count}`);
      });
      await client.subscribe('/room/a', () => {});
      const local = harness.bayeux.localSession({ info: { nick: 'raw' } });
      await local.subscribe('/room/a', () => {});
      await vi.waitUntil(() => events.length === 2);
      const seen = await client.presence('/room/a');
      expect(seen.count).toBe(2);
      expect(seen.members?.map((m) => m.info).sort()).toEqual([{ nick: 'raw' }, 'remote'].sort());
      const server = await harness.bayeux.presence('/room/a');
      expect(server.members?.find((m) => m.clientId === local.clientId)?.info).toEqual({ nick: 'raw' });
      // A wildcard subscription is not membership (as for remote clients).
      const watcher = harness.bayeux.localSession({ info: 'watcher' });
      await watcher.subscribe('/room/*', () => {});
      expect((await harness.bayeux.presence('/room/a')).count).toBe(2);
      await local.unsubscribe('/room/a');
      await vi.waitUntil(() => events.length === 3);
      await local.subscribe('/room/a', () => {});
      await local.close(); // the engine's left: a leave event too
      await vi.waitUntil(() => events.length === 5);
      expect(events).toEqual([
        'join "remote" 1',
        'join {"nick":"raw"} 2',
        'leave {"nick":"raw"} 1',
        'join {"nick":"raw"} 2',
        'leave {"nick":"raw"} 1',
      ]);
      expect((await harness.bayeux.presence('/room/a')).count).toBe(1);
      await watcher.close();
    });

    it('comes back as a member, with its info, after the engine destroys it', async () => {
      harness = await startServer({ channels }, createMemoryEngine() as never);
      const local = harness.bayeux.localSession({ info: { nick: 'back' } });
      await local.subscribe('/room/f', () => {});
      const first = await local.ready();
      await harness.bayeux.engine.destroyClient(first, 'disconnect');
      await vi.waitUntil(async () => local.clientId !== undefined && local.clientId !== first);
      await local.ready();
      const members = await vi.waitUntil(async () => {
        const p = await harness?.bayeux.presence('/room/f');
        return p?.count === 1 ? p.members : undefined;
      });
      expect(members).toEqual([{ clientId: local.clientId, id: expect.any(String), info: { nick: 'back' } }]);
      await local.close();
    });

    it('info is bounded by maxPresenceInfoBytes, crossed by one', async () => {
      harness = await startServer({ channels, maxPresenceInfoBytes: 12 }, createMemoryEngine() as never);
      // JSON '"xxxxxxxxxx"' is 12 bytes: allowed; one more is refused.
      const ok = harness.bayeux.localSession({ info: 'x'.repeat(10) });
      await ok.subscribe('/room/b', () => {});
      expect((await harness.bayeux.presence('/room/b')).members?.[0]?.info).toBe('x'.repeat(10));
      expect(() => harness?.bayeux.localSession({ info: 'x'.repeat(11) })).toThrow(/maxPresenceInfoBytes/);
      await ok.close();
    });

    it('history: N replays the newest N before any newer message; recover replays what followed', async () => {
      harness = await startServer({ channels }, createMemoryEngine() as never);
      for (let i = 1; i <= 7; i++) await harness.bayeux.publish('/room/c', i);
      const local = harness.bayeux.localSession();
      const got: unknown[] = [];
      const positions: { offset: number; epoch: string }[] = [];
      const result = await local.subscribe(
        '/room/c',
        (d, _ch, message) => {
          got.push(d);
          positions.push((message.ext as { history: { offset: number; epoch: string } }).history);
        },
        { history: 3 },
      );
      await harness.bayeux.publish('/room/c', 8);
      await vi.waitUntil(() => got.length === 4);
      expect(got).toEqual([5, 6, 7, 8]);
      expect(result.history).toMatchObject({ offset: 7, recovered: true });
      // A second session recovers after the position of 6: exactly 7 and 8.
      const again = harness.bayeux.localSession();
      const later: unknown[] = [];
      const r2 = await again.subscribe('/room/c', (d) => void later.push(d), { recover: positions[1] });
      await vi.waitUntil(() => later.length === 2);
      expect(later).toEqual([7, 8]);
      expect(r2.history).toMatchObject({ offset: 8, recovered: true });
      // A position from another epoch cannot be recovered: nothing replayed, recovered false.
      const lost = harness.bayeux.localSession();
      const none: unknown[] = [];
      const r3 = await lost.subscribe('/room/c', (d) => void none.push(d), {
        recover: { offset: 1, epoch: 'gone' },
      });
      expect(r3.history?.recovered).toBe(false);
      // No history asked: the position only, nothing replayed.
      const plain = await lost.subscribe('/room/d', () => {});
      expect(plain.history).toMatchObject({ offset: 0, recovered: false });
      await harness.bayeux.publish('/room/c', 9);
      await vi.waitUntil(() => none.length === 1);
      expect(none).toEqual([9]);
      for (const s of [local, again, lost]) await s.close();
    });

    it('refuses bad replay requests with a TypeError', async () => {
      harness = await startServer({ channels }, createMemoryEngine() as never);
      const local = harness.bayeux.localSession();
      const h = (): void => {};
      await expect(local.subscribe('/room/*', h, { history: 2 })).rejects.toThrow(/exact channel/);
      await expect(local.subscribe('/room/e', h, { history: 0 })).rejects.toThrow(TypeError);
      await expect(local.subscribe('/room/e', h, { history: 1.5 })).rejects.toThrow(TypeError);
      await expect(local.subscribe('/room/e', h, { recover: { offset: -1, epoch: 'e' } })).rejects.toThrow(
        TypeError,
      );
      await local.subscribe('/room/e', h);
      await expect(local.subscribe('/room/e', () => {}, { history: 1 })).rejects.toThrow(
        /subscribed already/,
      );
      await local.close();
    });
  });

  describe('async handlers (maxPendingHandlers)', () => {
    it('at the limit the session takes no more from its engine queue; each settled handler lets one more in, in order', async () => {
      // Regression: handler promises were not awaited, so a slow async handler piled up without bound.
      const engine = createMemoryEngine();
      harness = await startServer({ maxPendingHandlers: 2 }, engine as never);
      const local = harness.bayeux.localSession();
      const started: unknown[] = [];
      const release: Array<() => void> = [];
      await local.subscribe('/slow', (data) => {
        started.push(data);
        return new Promise<void>((r) => release.push(r));
      });
      const id = await local.ready();
      const client = new Client(harness.url, { transports: ['websocket'] });
      clients.push(client);
      for (let i = 1; i <= 6; i++) await client.publish('/slow', i);
      await until(
        () => started.length === 2 && engine.queuedSync(id) === 4,
        'two handlers pending, 4 queued',
      );
      expect(local.pendingHandlers).toBe(2);
      // Nothing more is delivered while both stay pending (the flush waits for onceDrained, not a timer).
      await new Promise((r) => setImmediate(r));
      expect(started).toEqual([1, 2]);
      for (let n = 3; n <= 6; n++) {
        release.shift()?.();
        await until(() => started.length === n, `handler ${n} once one settled`);
        expect(local.pendingHandlers).toBe(2);
      }
      expect(started).toEqual([1, 2, 3, 4, 5, 6]);
      for (const r of release.splice(0)) r();
      await until(() => local.pendingHandlers === 0, 'all settled');
      expect(engine.queuedSync(id)).toBe(0);
      await local.close();
    });

    it('past the engine queue the queue policy applies (drop-oldest: drop events), the pending count stays bounded', async () => {
      harness = await startServer({ maxPendingHandlers: 1 }, createMemoryEngine({ maxQueue: 3 }) as never);
      const local = harness.bayeux.localSession();
      const started: unknown[] = [];
      let release: () => void = () => {};
      let dropped = 0;
      harness.bayeux.on('drop', (e) => {
        dropped += e.dropped;
      });
      await local.subscribe('/slow', (data) => {
        started.push(data);
        return new Promise<void>((r) => {
          release = r;
        });
      });
      for (let i = 1; i <= 10; i++) await harness.bayeux.publish('/slow', i);
      await until(() => started.length === 1, 'the first handler');
      expect(local.pendingHandlers).toBe(1);
      expect(dropped).toBeGreaterThan(0);
      // The newest 3 survive in the queue (drop-oldest) and come after the one pending.
      while (started.at(-1) !== 10) {
        const n = started.length;
        release();
        await until(() => started.length === n + 1, 'the next message');
        expect(local.pendingHandlers).toBe(1);
      }
      expect(started.length).toBeLessThanOrEqual(5);
      expect(started.slice(-3)).toEqual([8, 9, 10]);
      await local.close();
    });

    it('errors of sync and async handlers are reported, never unhandled; the slots are freed', async () => {
      harness = await startServer({ maxPendingHandlers: 1 }, createMemoryEngine() as never);
      const errors: unknown[] = [];
      harness.bayeux.on('error', (e) => void errors.push(e));
      const local = harness.bayeux.localSession();
      let calls = 0;
      await local.subscribe('/e', async () => {
        calls++;
        throw new Error('async boom');
      });
      await local.subscribe('/e', () => {
        throw new Error('sync boom');
      });
      for (let i = 0; i < 3; i++) await harness.bayeux.publish('/e', i);
      await until(() => calls === 3 && errors.length === 6, 'three deliveries, six errors');
      expect(local.pendingHandlers).toBe(0);
      await local.close();
    });
  });

  it('a message of 16 KiB or more reaches a local session (SocketPush sends such batches as shared pieces)', async () => {
    // Regression: the binding took every push for a string; a PreparedFrame failed JSON.parse and was lost.
    harness = await startServer({}, createMemoryEngine() as never);
    const local = harness.bayeux.localSession();
    const got = waiter<unknown>();
    await local.subscribe('/big', (data) => got.resolve(data));
    const big = { text: 'é'.repeat(40_000) };
    await harness.bayeux.publish('/big', big);
    expect(await got.promise).toEqual(big);
    await local.close();
  });
});
