// `--engine` of the demo (as `pushwire serve`): `memory` (default, one process) or a `redis://` / `rediss://`
// URL (@pushwire/redis: several demo processes behind any load balancer share sessions, subscriptions,
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
  if (!/^rediss?:\/\//.test(spec)) {
    throw new EngineUsageError(`--engine must be memory or redis://host:port, not ${spec}`);
  }
  const { createRedisEngine, IoredisPort } = await import('@pushwire/redis');
  // One port for the engine and the demo's own keys; the engine does not close a port it was given.
  const port = new IoredisPort({ url: spec });
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
