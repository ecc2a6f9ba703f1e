// `--engine` of `pushwire serve`: `memory` (default, one process) or a `redis://` / `rediss://` URL
// (@pushwire/redis: several processes behind any load balancer share sessions, subscriptions, queues).

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
  if (!/^rediss?:\/\//.test(spec))
    throw new UsageError(`--engine must be memory or redis://host:port, not ${spec}`);
  const { createRedisEngine } = await import('@pushwire/redis');
  const engine = await createRedisEngine({
    url: spec,
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
