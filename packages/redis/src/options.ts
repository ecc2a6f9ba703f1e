// Options of the Redis engine: the Engine options every engine shares, plus where Redis is and the
// lifetimes of what the engine stores there. Each is named, has a safe default and is checked.

import type { EngineOptions } from '@pushwire/server';
import { resolveEngineOptions } from '@pushwire/server';
import type { ClusterNodeAddress } from './cluster-port.js';
import type { RedisPort } from './port.js';

export interface RedisEngineOptions extends Partial<EngineOptions> {
  /** `redis://host:port[/db]` (default redis://127.0.0.1:6379). Ignored when `redis` is given. */
  url?: string;
  /**
   * Nodes of a Redis Cluster (some or all; the rest is discovered): the engine opens a ClusterPort
   * instead of one connection to `url`. Ignored when `redis` is given.
   */
  cluster?: readonly ClusterNodeAddress[];
  /** Prefix of every key and channel (default `pushwire`): engines with the same prefix form one cluster. */
  prefix?: string;
  /** Your own port (another client library, a Cluster router); the engine does not close it. */
  redis?: RedisPort;
  /**
   * Ms a client's keys live without a ping (default max(60 s, 6 x maxInterval)). A safety net only: the
   * sweeper destroys idle clients after maxInterval; the TTL cleans up if every node is gone.
   */
  keyTtl?: number;
  /** Ms a message body shared by several queues lives (default max(5 min, 30 x maxInterval)). */
  bodyTtl?: number;
  /** Most clients one sweep examines (default 1000); the rest wait for the next tick. */
  sweepBatch?: number;
  /** Ms the sweep lock lives if its holder dies mid-sweep (default 5000); released at the end of a sweep. */
  sweepLockTtl?: number;
  /** Reconnect attempts a Redis call waits for before it rejects with ENGINE_STORAGE (default 2). */
  maxRetriesPerRequest?: number;
  /** Called with failures of background work (sweeps, wake messages) besides the diagnostics channel. */
  onError?: (error: Error) => void;
}

export interface ResolvedRedisOptions extends EngineOptions {
  prefix: string;
  keyTtl: number;
  bodyTtl: number;
  sweepBatch: number;
  sweepLockTtl: number;
  /** Ms a node's liveness key lives; refreshed every sweep tick. */
  nodeTtl: number;
}

export const DEFAULT_PREFIX = 'pushwire';

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`pushwire redis: ${name} must be a positive integer`);
  }
  return value;
}

export function resolveRedisOptions(opts: RedisEngineOptions): ResolvedRedisOptions {
  const base = resolveEngineOptions(opts);
  return {
    ...base,
    prefix: opts.prefix ?? DEFAULT_PREFIX,
    keyTtl: positive('keyTtl', opts.keyTtl, Math.max(60_000, 6 * base.maxInterval)),
    bodyTtl: positive('bodyTtl', opts.bodyTtl, Math.max(300_000, 30 * base.maxInterval)),
    sweepBatch: positive('sweepBatch', opts.sweepBatch, 1000),
    sweepLockTtl: positive('sweepLockTtl', opts.sweepLockTtl, 5000),
    nodeTtl: Math.max(3000, 3 * base.sweepInterval),
  };
}
