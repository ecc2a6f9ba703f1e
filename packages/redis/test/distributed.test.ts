// Two engines on one store behave as one: what a client did through node A is known on node B, and a
// delivery through B wakes A's sink for A's client, and ONLY A's (never every node).

import diagnosticsChannel from 'node:diagnostics_channel';
import { RecordingSink } from '@pushwire/server/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisEngine, type RedisEngine } from '../src/index.js';
import { deleteKeys, listKeys, REDIS_URL, redisAvailable, testPrefix } from './redis-helpers.js';

const available = await redisAvailable();

/** Resolves once `check()` holds, polling on real I/O turns (pub/sub wakes arrive asynchronously). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.runIf(available)('redis engine: two nodes on one store', () => {
  let prefix: string;
  const engines: RedisEngine[] = [];

  async function node(opts: Parameters<typeof createRedisEngine>[0] = {}) {
    const engine = await createRedisEngine({ url: REDIS_URL, prefix, ...opts });
    engines.push(engine);
    const sink = new RecordingSink();
    engine.setSink(sink);
    return { engine, sink };
  }

  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
    if (prefix !== undefined) await deleteKeys(prefix);
  });

  it('a client created on A is known on B, with its subscriptions and queue', async () => {
    prefix = testPrefix();
    const a = await node();
    const b = await node();
    const id = await a.engine.createClient();
    expect(await b.engine.clientExists(id)).toBe(true);
    expect((await b.engine.subscribe(id, '/chat/*')).ok).toBe(true);
    expect(await a.engine.subscriptions(id)).toEqual(['/chat/*']);
    expect(await b.engine.clientCount()).toBe(1);
    await a.engine.publish({ channel: '/chat/x', data: 1 }, '{"channel":"/chat/x","data":1}');
    expect(await b.engine.takeQueue(id)).toEqual(['{"channel":"/chat/x","data":1}']);
  });

  it("a publish on B wakes A's sink for A's client, and never B's", async () => {
    prefix = testPrefix();
    const a = await node();
    const b = await node();
    const onA = await a.engine.createClient();
    await a.engine.ping(onA);
    await a.engine.subscribe(onA, '/room');
    expect(await b.engine.publish({ channel: '/room', data: 1 }, 'm1')).toBe(1);
    await until(() => a.sink.wakeCount(onA) === 1, "A's wake");
    expect(b.sink.wakes).toEqual([]);
    expect(await a.engine.takeQueue(onA)).toEqual(['m1']);
  });

  it('the node that last pinged a client holds it: its wakes follow the client between nodes', async () => {
    prefix = testPrefix();
    const a = await node();
    const b = await node();
    const id = await a.engine.createClient();
    await a.engine.subscribe(id, '/r');
    await b.engine.ping(id); // the client's next connect arrived at B
    await a.engine.publish({ channel: '/r', data: 1 }, 'x');
    await until(() => b.sink.wakeCount(id) === 1, "B's wake");
    expect(a.sink.wakes).toEqual([]);
    await a.engine.ping(id);
    await a.engine.deliver(id, ['y']);
    expect(a.sink.wakeCount(id)).toBe(1); // A holds it now: woken in-process, no pub/sub hop
    expect(await b.engine.takeQueue(id)).toEqual(['x', 'y']);
  });

  it('one publish to clients on two nodes sends ONE wake message per node, and stores the body once', async () => {
    prefix = testPrefix();
    const a = await node();
    const b = await node();
    const c = await node();
    const onB = await Promise.all([1, 2, 3].map(() => b.engine.createClient()));
    for (const id of onB) await b.engine.subscribe(id, '/big');
    const onC = await c.engine.createClient();
    await c.engine.subscribe(onC, '/big');
    const published: string[] = [];
    const spy = (_m: unknown, name: string | symbol) => published.push(String(name));
    diagnosticsChannel.subscribe('pushwire:engine:error', spy);
    const payload = JSON.stringify({ channel: '/big', data: 'x'.repeat(1000) });
    expect(await a.engine.publish({ channel: '/big', data: 'x' }, payload)).toBe(4);
    diagnosticsChannel.unsubscribe('pushwire:engine:error', spy);
    await until(() => b.sink.wakes.length === 3 && c.sink.wakes.length === 1, 'wakes on B and C');
    expect(a.sink.wakes).toEqual([]);
    // One body key, four queue entries referencing it (not four copies of the 1 KB text).
    const bodies = (await listKeys(prefix)).filter((k) => k.startsWith(`${prefix}:m:`));
    expect(bodies).toHaveLength(1);
    for (const id of [...onB, onC]) {
      const q = b.engine.keys.queue(id);
      expect(q).toBe(`${prefix}:q:{${id}}`);
      expect(await b.engine.takeQueue(id)).toEqual([payload]);
    }
    expect(published).toEqual([]);
  });

  it("destroying on B tells A's sink (A holds the client), not B's", async () => {
    prefix = testPrefix();
    const a = await node();
    const b = await node();
    const id = await a.engine.createClient();
    await a.engine.subscribe(id, '/gone');
    await b.engine.destroyClient(id, 'disconnect');
    expect(await a.sink.waitDestroyed(id)).toBe('disconnect');
    expect(b.sink.destroyedLog).toEqual([]);
    expect(await a.engine.clientExists(id)).toBe(false);
    // Nothing of the client is left in Redis: no key with its id.
    expect((await listKeys(prefix)).filter((k) => k.includes(id))).toEqual([]);
    expect(await a.engine.publish({ channel: '/gone', data: 1 }, 'z')).toBe(0);
  });

  it("the sweeper asks the holding node: a connect held on A is not expired by B's sweep", async () => {
    prefix = testPrefix();
    const a = await node({ maxInterval: 200, sweepInterval: 20 });
    const b = await node({ maxInterval: 200, sweepInterval: 20 });
    const held = await a.engine.createClient();
    const idle = await a.engine.createClient();
    a.sink.held.add(held);
    // Both nodes tick; whichever wins the lock, the idle one expires once, told on A (which holds it).
    expect(await a.sink.waitDestroyed(idle)).toBe('expired');
    await new Promise((r) => setTimeout(r, 400));
    expect(await b.engine.clientExists(held)).toBe(true);
    expect(a.sink.destroyedLog).toEqual([{ clientId: idle, reason: 'expired' }]);
    expect(b.sink.destroyedLog).toEqual([]);
    a.sink.held.delete(held);
    expect(await a.sink.waitDestroyed(held)).toBe('expired');
  });

  it('a node that left: its clients are expired by the survivors', async () => {
    prefix = testPrefix();
    const a = await node({ maxInterval: 100, sweepInterval: 20 });
    const id = await a.engine.createClient();
    await a.engine.close(); // A is gone (its liveness key expires: nodeTtl)
    const b = await node({ maxInterval: 100, sweepInterval: 20 });
    await until(() => b.sink.destroyedLog.length > 0, 'expiry of the orphan');
    expect(b.sink.destroyedLog).toEqual([{ clientId: id, reason: 'expired' }]);
  }, 15_000);

  it('slow clients under disconnect are destroyed once, told on their node', async () => {
    prefix = testPrefix();
    const a = await node({ maxQueue: 2, queuePolicy: 'disconnect' });
    const b = await node({ maxQueue: 2, queuePolicy: 'disconnect' });
    const id = await a.engine.createClient();
    await a.engine.subscribe(id, '/s');
    for (let i = 0; i < 2; i++) await b.engine.publish({ channel: '/s', data: i }, `m${i}`);
    expect(await b.engine.publish({ channel: '/s', data: 2 }, 'm2')).toBe(0);
    expect(await a.sink.waitDestroyed(id)).toBe('slow');
    expect(b.sink.destroyedLog).toEqual([]);
  });

  it('session state and browser holds written on A are seen on B (first connect, ack, maxSessionsPerBrowser)', async () => {
    prefix = testPrefix();
    const a = await node();
    const b = await node();
    const id = await a.engine.createClient();
    await a.engine.setClientState(id, 'first-connect', '1');
    expect(await b.engine.takeClientState(id, 'first-connect')).toBe('1');
    expect(await a.engine.takeClientState(id, 'first-connect')).toBeUndefined();
    await a.engine.setBrowserHold('browser-1', id, Date.now() + 10_000);
    expect(await b.engine.browserHolds('browser-1', 'other-tab')).toBe(1);
    expect(await b.engine.browserHolds('browser-1', id)).toBe(0);
    await b.engine.setBrowserHold('browser-1', id, undefined);
    expect(await a.engine.browserHolds('browser-1', 'other-tab')).toBe(0);
  });
});
