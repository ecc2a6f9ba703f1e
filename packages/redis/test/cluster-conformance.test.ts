// The engine conformance suite (@pushwire/server/testing), unchanged, on a real 3-master Redis Cluster
// (redis-cluster.ts): the engine opens a ClusterPort (`cluster: nodes`). Every script keeps its keys on
// one slot, so no step can meet CROSSSLOT.

import { engineConformance } from '@pushwire/server/testing';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createRedisEngine } from '../src/index.js';
import { RedisCluster, redisClusterAvailable } from './redis-cluster.js';
import { testPrefix } from './redis-helpers.js';

const available = redisClusterAvailable();

if (available) {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
  }, 60_000);
  // The cluster is private to this file and killed after it: its keys go with it.
  afterAll(async () => {
    await cluster?.stop();
  });
  engineConformance('redis cluster', async (opts) => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    return createRedisEngine({ ...opts, cluster: cluster.nodes, prefix: testPrefix() });
  });
}

describe.skipIf(available)('engine conformance: redis cluster', () => {
  it('needs redis-server and redis-cli (see the message above)', () => undefined);
});
