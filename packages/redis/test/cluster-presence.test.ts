// Presence on a real Redis Cluster when the node running a change dies between its one-slot steps
// (presence.ts): the node is stopped by a DyingPort at the step named, and a surviving node on the same
// cluster must give the right answers, telling every join and leave once.

import { RecordingSink } from '@pushwire/server/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterPort, createRedisEngine, type RedisEngine } from '../src/index.js';
import { DyingPort } from './dying-port.js';
import { RedisCluster, redisClusterAvailable } from './redis-cluster.js';
import { testPrefix } from './redis-helpers.js';

const available = redisClusterAvailable();

describe.runIf(available)('presence on a Redis Cluster, a node dying between steps', () => {
  let cluster: RedisCluster;
  const engines: RedisEngine[] = [];
  const ports: ClusterPort[] = [];
  beforeAll(async () => {
    cluster = await RedisCluster.start();
  }, 60_000);
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close().catch(() => undefined);
    for (const p of ports.splice(0)) await p.close();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Two nodes on one prefix: `dying` (its port can be stopped) and `survivor`. */
  async function nodes() {
    const prefix = testPrefix();
    const inner = new ClusterPort({ nodes: cluster.nodes });
    ports.push(inner);
    const port = new DyingPort(inner);
    const dying = await createRedisEngine({ redis: port, prefix, sweepInterval: 60_000 });
    const survivor = await createRedisEngine({ cluster: cluster.nodes, prefix, sweepInterval: 60_000 });
    engines.push(dying, survivor);
    const dyingSink = new RecordingSink();
    const sink = new RecordingSink();
    dying.setSink(dyingSink);
    survivor.setSink(sink);
    return { port, dying, survivor, sink, dyingSink };
  }

  it('a join cut after marking the client: nobody sees it, its destroy tells no leave', async () => {
    const { port, dying, survivor, sink } = await nodes();
    const ann = await survivor.createClient({ info: '"ann"' });
    port.dieAt('presence-add');
    await expect(dying.presenceJoin('/room', ann)).rejects.toThrow(/ENGINE_STORAGE|failed/);
    expect(await survivor.presence('/room', 10)).toEqual({ count: 0, members: [] });
    // A retry through the survivor joins once.
    expect(await survivor.presenceJoin('/room', ann)).toEqual({
      changed: true,
      count: 1,
      member: { clientId: ann, info: '"ann"' },
    });
    expect((await survivor.presenceJoin('/room', ann)).changed).toBe(false);
    await survivor.destroyClient(ann, 'disconnect');
    expect(sink.leftLog.map((l) => [l.channel, l.member.clientId, l.count, l.reason])).toEqual([
      ['/room', ann, 0, 'disconnect'],
    ]);
  });

  it('a join cut after marking: the stale mark makes the destroy tell nothing', async () => {
    const { port, dying, survivor, sink } = await nodes();
    const bob = await survivor.createClient();
    port.dieAt('presence-add');
    await expect(dying.presenceJoin('/room', bob)).rejects.toThrow();
    await survivor.destroyClient(bob, 'disconnect');
    expect(sink.leftLog).toEqual([]);
    expect(await survivor.presence('/room', 10)).toEqual({ count: 0, members: [] });
  });

  it('a destroy cut after deleting the client: the next listing drops the member and tells its leave once', async () => {
    const { port, dying, survivor, sink, dyingSink } = await nodes();
    const ann = await survivor.createClient({ info: '"ann"' });
    const bob = await survivor.createClient({ info: '"bob"' });
    await survivor.presenceJoin('/room', ann);
    await survivor.presenceJoin('/room', bob);
    await survivor.presenceJoin('/other', ann);
    port.dieAt('presence-remove');
    await expect(dying.destroyClient(ann, 'disconnect')).rejects.toThrow();
    expect(dyingSink.leftLog).toEqual([]);
    expect(await survivor.clientExists(ann)).toBe(false);
    expect(await survivor.presence('/room', 10)).toEqual({
      count: 1,
      members: [{ clientId: bob, info: '"bob"' }],
    });
    expect(await survivor.presence('/room', 10)).toEqual({
      count: 1,
      members: [{ clientId: bob, info: '"bob"' }],
    });
    expect(await survivor.presence('/other', 10)).toEqual({ count: 0, members: [] });
    expect(sink.leftLog.map((l) => [l.channel, l.member, l.count, l.reason])).toEqual([
      ['/room', { clientId: ann, info: '"ann"' }, 1, 'expired'],
      ['/other', { clientId: ann, info: '"ann"' }, 0, 'expired'],
    ]);
  });

  it('a leave cut after leaving the set: the stale mark makes the destroy tell nothing', async () => {
    const { port, dying, survivor, sink } = await nodes();
    const ann = await survivor.createClient();
    await survivor.presenceJoin('/room', ann);
    port.dieAt('SREM');
    await expect(dying.presenceLeave('/room', ann)).rejects.toThrow();
    expect(await survivor.presence('/room', 10)).toEqual({ count: 0, members: [] });
    await survivor.destroyClient(ann, 'disconnect');
    expect(sink.leftLog).toEqual([]);
  });

  it('a client destroyed while it joins: the join is undone, nothing is told twice', async () => {
    const { survivor, sink } = await nodes();
    const ids = await Promise.all(Array.from({ length: 20 }, () => survivor.createClient()));
    const joins = await Promise.all(
      ids.map((id) =>
        Promise.all([survivor.presenceJoin('/race', id), survivor.destroyClient(id, 'disconnect')]).then(
          ([change]) => change.changed,
        ),
      ),
    );
    expect(await survivor.presence('/race', 100)).toEqual({ count: 0, members: [] });
    // Every join told is paired with exactly one leave; no leave without a join.
    const left = sink.leftLog.filter((l) => l.channel === '/race').map((l) => l.member.clientId);
    expect(new Set(left).size).toBe(left.length);
    expect(left.sort()).toEqual(ids.filter((_, i) => joins[i]).sort());
  });
});

describe.skipIf(available)('presence on a Redis Cluster, a node dying between steps', () => {
  it('needs redis-server and redis-cli (see the message above)', () => undefined);
});
