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
