// `--engine` of the demo (as `pushwire serve`): `memory` (default, one process), a `redis://` / `rediss://`
// URL, or `redis-cluster://HOST:PORT,HOST:PORT` (a Redis Cluster's seed nodes; @pushwire/redis engine-spec.ts
// reads both forms; the demo's own keys are one hash tag each, so they run on a Cluster as they are)
// (@pushwire/redis: several demo processes behind any load balancer share sessions, subscriptions,
// queues, and the channel history and presence the demos keep their state in). On Redis the demo also keeps
// its photos and the game's lease there (cluster.ts), through the engine's own Redis port.

import type { Engine } from '@pushwire/server';
import { type DemoCluster, localCluster, redisCluster } from './cluster.js';

export interface DemoEngine {
  /** undefined: the Bayeux server makes its own in-memory engine. */
  engine: Engine | undefined;
  /** Photos and the game's lease: in this process, or in the engine's Redis. */
  cluster: DemoCluster;
  /** Closes an engine made here (the server does not close an engine it was given). */
  close(): Promise<void>;
}

/** A usage mistake (exit code 2 with the usage text). */
export class EngineUsageError extends Error {}

export async function openDemoEngine(
  spec: string | undefined,
  prefix: string | undefined,
  maxInterval: number,
): Promise<DemoEngine> {
  if (spec === undefined || spec === 'memory') {
    if (prefix !== undefined) throw new EngineUsageError('--redis-prefix needs --engine redis://...');
    return { engine: undefined, cluster: localCluster, close: async () => undefined };
  }
  const { ClusterPort, createRedisEngine, IoredisPort, redisTarget } = await import('@pushwire/redis');
  let target: ReturnType<typeof redisTarget>;
  try {
    target = redisTarget(spec);
  } catch (err) {
    throw new EngineUsageError(`--engine ${(err as Error).message}`);
  }
  if (target === undefined) {
    throw new EngineUsageError(
      `--engine must be memory, redis://host:port or redis-cluster://host:port,host:port, not ${spec}`,
    );
  }
  // One port for the engine and the demo's own keys; the engine does not close a port it was given.
  const port =
    'url' in target ? new IoredisPort({ url: target.url }) : new ClusterPort({ nodes: target.cluster });
  const engine = await createRedisEngine({
    redis: port,
    ...(prefix === undefined ? {} : { prefix }),
    // The engine expires sessions: the same maxInterval as the Bayeux server's advice.
    maxInterval,
    sweepInterval: Math.max(50, Math.min(1000, Math.floor(maxInterval / 4))),
  }).catch(async (err: unknown) => {
    await port.close();
    throw err;
  });
  return {
    engine,
    cluster: redisCluster(port, engine.keys.prefix),
    close: async () => {
      await engine.close();
      await port.close();
    },
  };
}
