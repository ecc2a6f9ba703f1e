// History and presence across nodes (issue 9 "Across nodes"): two engines on one store give the same
// answers; publishes from two nodes at once reach every subscriber's queue in offset order (the client
// drops anything at or before its last seen offset, so a reordering would be a loss); a recovery works
// through the other node; a dead node's members leave within maxInterval + sweepInterval, told once.
// The same tests run on one Redis server and on a real 3-master Redis Cluster (redis-cluster.ts), where
// history and presence take one-slot steps (history-cluster.ts, presence.ts).

import type { HistoryLimits, HistoryPosition, PositionTemplate } from '@pushwire/server';
import { RecordingSink } from '@pushwire/server/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisEngine, type RedisEngine, type RedisEngineOptions } from '../src/index.js';
import { RedisCluster, redisClusterAvailable } from './redis-cluster.js';
import { deleteKeys, REDIS_URL, redisAvailable, testPrefix } from './redis-helpers.js';

const available = await redisAvailable();
const clusterAvailable = redisClusterAvailable();

const LIMITS: HistoryLimits = { size: 1000, ttl: 3_600_000, maxBytes: 1024 * 1024, maxRecovery: 1000 };

function template(channel: string, data: unknown): PositionTemplate {
  const text = JSON.stringify({ channel, data, ext: { history: 0 } });
  return { head: text.slice(0, -3), tail: '}}' };
}

interface Stored {
  data: unknown;
  ext: { history: HistoryPosition };
}
const offsets = (texts: string[]): number[] => texts.map((t) => (JSON.parse(t) as Stored).ext.history.offset);

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Where the engines of `twoNodes` meet, and how a test's keys are removed after it. */
interface Store {
  options(): RedisEngineOptions;
  cleanup(prefix: string): Promise<void>;
}

function twoNodes(store: Store): void {
  let prefix: string;
  const engines: RedisEngine[] = [];

  async function node(opts: Parameters<typeof createRedisEngine>[0] = {}) {
    const engine = await createRedisEngine({ ...store.options(), prefix, maxQueue: 5000, ...opts });
    engines.push(engine);
    const sink = new RecordingSink();
    engine.setSink(sink);
    return { engine, sink };
  }

  function pub(engine: RedisEngine, channel: string, data: unknown) {
    return engine.publishHistory({ channel, data }, template(channel, data), LIMITS);
  }

  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
    if (prefix !== undefined) await store.cleanup(prefix);
  });

  it('publishes from two nodes at once fill every queue in offset order, one epoch, no gap', async () => {
    prefix = testPrefix();
    const a = await node();
    const b = await node();
    const onA = await a.engine.createClient();
    const onB = await b.engine.createClient();
    await a.engine.ping(onA);
    await b.engine.ping(onB);
    await a.engine.subscribeHistory(onA, '/race', undefined, LIMITS);
    await b.engine.subscribe(onB, '/race'); // a plain subscription gets positions too
    const n = 200;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => pub(i % 2 === 0 ? a.engine : b.engine, '/race', i)),
    );
    expect(new Set(results.map((r) => r.position.epoch)).size).toBe(1);
    expect(results.map((r) => r.position.offset).sort((x, y) => x - y)).toEqual(
      Array.from({ length: n }, (_, i) => i + 1),
    );
    const expected = Array.from({ length: n }, (_, i) => i + 1);
    // Each queue read through the OTHER node: the order is in the store, not in a node.
    expect(offsets(await b.engine.takeQueue(onA))).toEqual(expected);
    expect(offsets(await a.engine.takeQueue(onB))).toEqual(expected);
    // The same history from either node.
    const fromA = await a.engine.readHistory('/race', { last: n }, LIMITS);
    const fromB = await b.engine.readHistory('/race', { last: n }, LIMITS);
    expect(fromA).toEqual(fromB);
    expect(offsets(fromA.messages)).toEqual(expected);
    expect(fromA.complete).toBe(true);
  });

  it('a recovery through the other node replays exactly what was missed, before newer publishes', async () => {
    prefix = testPrefix();
    const a = await node();
    const b = await node();
    const first = await a.engine.createClient();
    await a.engine.subscribeHistory(first, '/room', undefined, LIMITS);
    for (let i = 1; i <= 3; i++) await pub(a.engine, '/room', i);
    const seen = offsets(await a.engine.takeQueue(first));
    expect(seen).toEqual([1, 2, 3]);
    const epoch = (await a.engine.readHistory('/room', { last: 0 }, LIMITS)).position.epoch;
    // The session is lost (node A died with it); meanwhile B publishes more.
    await a.engine.destroyClient(first, 'expired');
    for (let i = 4; i <= 6; i++) await pub(b.engine, '/room', i);
    // The client re-handshakes through B and recovers from the last position it saw.
    const again = await b.engine.createClient();
    const racing = [pub(a.engine, '/room', 7), pub(b.engine, '/room', 8)];
    const r = await b.engine.subscribeHistory(again, '/room', { after: { offset: 3, epoch } }, LIMITS);
    await Promise.all(racing);
    expect(r.ok).toBe(true);
    expect(r.read?.complete).toBe(true);
    const got = offsets(await a.engine.takeQueue(again));
    // Nothing lost, nothing twice, in order, whichever way the two racing publishes fell.
    expect(got).toEqual([4, 5, 6, 7, 8]);
  });

  it('presence: the same answers on both nodes; a leave through B is seen on A', async () => {
    prefix = testPrefix();
    const a = await node();
    const b = await node();
    const ann = await a.engine.createClient({ info: '{"nick":"ann"}' });
    const bob = await b.engine.createClient({ info: '{"nick":"bob"}' });
    expect((await a.engine.presenceJoin('/lobby', ann)).count).toBe(1);
    expect((await b.engine.presenceJoin('/lobby', bob)).count).toBe(2);
    // Joining again through the other node changes nothing.
    expect(await b.engine.presenceJoin('/lobby', ann)).toEqual({ changed: false, count: 2 });
    const members = [
      { clientId: ann, info: '{"nick":"ann"}' },
      { clientId: bob, info: '{"nick":"bob"}' },
    ];
    expect(await a.engine.presence('/lobby', 10)).toEqual({ count: 2, members });
    expect(await b.engine.presence('/lobby', 10)).toEqual({ count: 2, members });
    expect(await b.engine.presence('/lobby', 1)).toEqual({ count: 2 });
    expect(await b.engine.presenceLeave('/lobby', ann)).toEqual({
      changed: true,
      count: 1,
      member: members[0],
    });
    expect(await a.engine.presence('/lobby', 10)).toEqual({ count: 1, members: [members[1]] });
    // A disconnect through A of B's client: A destroyed it, so A's sink hears the leave, B's does not.
    await a.engine.destroyClient(bob, 'disconnect');
    expect(a.sink.leftLog).toEqual([
      { channel: '/lobby', member: members[1], count: 0, reason: 'disconnect' },
    ]);
    expect(b.sink.leftLog).toEqual([]);
    expect(await b.engine.presence('/lobby', 10)).toEqual({ count: 0, members: [] });
  });

  it("a dead node's members leave within a bound: the surviving node's sweep destroys them and tells the leave", async () => {
    prefix = testPrefix();
    const timing = { maxInterval: 300, sweepInterval: 50 };
    const a = await node(timing);
    const b = await node(timing);
    const gone = await a.engine.createClient({ info: '"gone"' });
    await a.engine.ping(gone);
    await a.engine.presenceJoin('/room', gone);
    const stays = await b.engine.createClient();
    await b.engine.presenceJoin('/room', stays);
    // Node A goes away (its clients' connects stop arriving); B keeps its own client alive.
    await a.engine.close();
    const alive = setInterval(() => void b.engine.ping(stays), 50);
    try {
      await until(() => b.sink.leftLog.length > 0, "B's sweep to tell the leave");
    } finally {
      clearInterval(alive);
    }
    expect(b.sink.leftLog).toEqual([
      { channel: '/room', member: { clientId: gone, info: '"gone"' }, count: 1, reason: 'expired' },
    ]);
    expect(b.sink.destroyedLog).toEqual([{ clientId: gone, reason: 'expired' }]);
    expect(await b.engine.presence('/room', 10)).toEqual({
      count: 1,
      members: [{ clientId: stays, info: 'null' }],
    });
  });
}

describe.runIf(available)('redis engine: history and presence on two nodes', () => {
  twoNodes({
    options: () => ({ url: REDIS_URL }),
    cleanup: (prefix) => deleteKeys(prefix).then(() => undefined),
  });
});

describe.runIf(clusterAvailable)('redis engine on a Redis Cluster: history and presence on two nodes', () => {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  twoNodes({
    options: () => {
      if (cluster === undefined) throw new Error('the cluster did not start');
      return { cluster: cluster.nodes };
    },
    // The cluster is private to this block and killed after it: its keys go with it.
    cleanup: async () => undefined,
  });
});
