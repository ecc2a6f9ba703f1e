// The engine a server gets when none is passed: the in-memory engine, sized from the server's options.

import type { Engine } from './engine/engine.js';
import { MemoryEngine } from './engine/memory-engine.js';
import type { ResolvedOptions } from './options.js';

export function createDefaultEngine(options: ResolvedOptions): Engine {
  return new MemoryEngine({
    maxInterval: options.maxInterval,
    maxQueue: options.maxQueue,
    maxQueueBytes: options.maxQueueBytes,
    queuePolicy: options.queuePolicy,
    maxSubscriptions: options.maxSubscriptionsPerClient,
    // CometD sweeps about once a second; a short maxInterval gets a proportionally shorter sweep.
    sweepInterval: Math.max(50, Math.min(1000, Math.floor(options.maxInterval / 4))),
  });
}

/**
 * Refuses an engine that expires clients sooner than the server's `maxInterval` advice lets them wait
 * between connects (Bayeux §4.2): such clients would get `402::session_unknown` although they followed the
 * advice. A given engine keeps its own `maxInterval` (the server cannot change it), so say which to set.
 */
export function checkEngineInterval(engine: Engine, serverMaxInterval: number): void {
  const engineMs = engine.maxInterval;
  if (engineMs === undefined || engineMs >= serverMaxInterval) return;
  throw new RangeError(
    `the engine expires clients after ${engineMs} ms without a connect, sooner than the server's ` +
      `maxInterval of ${serverMaxInterval} ms: give the engine the same maxInterval (e.g. ` +
      `redisEngine({ maxInterval: ${serverMaxInterval} }))`,
  );
}
