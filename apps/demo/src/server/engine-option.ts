// `--engine` of the demo (as `pushwire serve`): `memory` (default, one process) or a `redis://` / `rediss://`
// URL (@pushwire/redis: several demo processes behind any load balancer share sessions, subscriptions,
// queues, and the channel history and presence the demos keep their state in).

import type { Engine } from '@pushwire/server';

export interface DemoEngine {
  /** undefined: the Bayeux server makes its own in-memory engine. */
  engine: Engine | undefined;
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
    return { engine: undefined, close: async () => undefined };
  }
  if (!/^rediss?:\/\//.test(spec)) {
    throw new EngineUsageError(`--engine must be memory or redis://host:port, not ${spec}`);
  }
  const { createRedisEngine } = await import('@pushwire/redis');
  const engine = await createRedisEngine({
    url: spec,
    ...(prefix === undefined ? {} : { prefix }),
    // The engine expires sessions: the same maxInterval as the Bayeux server's advice.
    maxInterval,
    sweepInterval: Math.max(50, Math.min(1000, Math.floor(maxInterval / 4))),
  });
  return { engine, close: () => engine.close() };
}
