// The in-process session (bayeux.localSession()): subscribes with wildcards and publishes through the
// same engine as remote clients, delivered over the engine's wake path like a websocket binding; never
// expires while it lives; comes back after the engine destroys it; the publish event fires for it.

import { Client } from '@pushwire/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryEngine } from '../src/index.js';
import { type Harness, startServer } from './helpers/http.js';

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
});
