// `--engine` of `pushwire serve`: `memory` (default, one process), a `redis://` / `rediss://` URL, or
// `redis-cluster://HOST:PORT,HOST:PORT` (a Redis Cluster's seed nodes; @pushwire/redis engine-spec.ts reads
// both forms): several processes behind any load balancer share sessions, subscriptions, queues.

import type { Engine } from '@pushwire/server';
import { UsageError } from './command.js';

export interface EngineChoice {
  /** The engine to pass to the server; undefined: the server makes its own in-memory engine. */
  engine: Engine | undefined;
  /** Closes an engine made here (the server does not close an engine it was given). */
  close(): Promise<void>;
}

/** Throws UsageError when `spec` is neither `memory` nor a redis URL. */
export async function openEngine(
  spec: string | undefined,
  prefix: string | undefined,
  maxInterval: number | undefined,
): Promise<EngineChoice> {
  if (spec === undefined || spec === 'memory') {
    if (prefix !== undefined) throw new UsageError('--redis-prefix needs --engine redis://...');
    return { engine: undefined, close: async () => undefined };
  }
  const { createRedisEngine, redisTarget } = await import('@pushwire/redis');
  let target: ReturnType<typeof redisTarget>;
  try {
    target = redisTarget(spec);
  } catch (err) {
    throw new UsageError(`--engine ${(err as Error).message}`);
  }
  if (target === undefined)
    throw new UsageError(
      `--engine must be memory, redis://host:port or redis-cluster://host:port,host:port, not ${spec}`,
    );
  const engine = await createRedisEngine({
    ...target,
    ...(prefix === undefined ? {} : { prefix }),
    ...(maxInterval === undefined
      ? {}
      : {
          maxInterval: Math.max(1, maxInterval),
          // As the server's default engine: a short maxInterval gets a proportionally shorter sweep.
          sweepInterval: Math.max(50, Math.min(1000, Math.floor(maxInterval / 4))),
        }),
  });
  return { engine, close: () => engine.close() };
}
