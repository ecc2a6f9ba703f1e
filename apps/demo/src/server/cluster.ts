// What several demo nodes share besides the Bayeux engine: the full-size photo bytes and the game's lease
// (who ticks the one world). `localCluster` keeps both in this process (one node, `npm start`);
// `redisCluster` keeps them in the Redis the engine uses (`npm start -- --engine redis://...`), under the
// engine's key prefix, so the nodes of one prefix are one cluster.

import type { RedisPort } from '@pushwire/redis';
import { MemoryPhotoStore, type PhotoBytes, type PhotoStoreLimits } from './photo-store.js';
import { RedisPhotoStore } from './photo-store-redis.js';
import { LEASE_HOLD, LEASE_RELEASE } from './redis-scripts.js';

/** A lease one owner holds at a time, until it lapses (`ttlMs` after the last `hold`) or is released. */
export interface Lease {
  /** Takes the lease if free, renews it if `owner` holds it; true when `owner` holds it now. */
  hold(owner: string, ttlMs: number): Promise<boolean>;
  release(owner: string): Promise<void>;
}

export interface DemoCluster {
  photos(limits: PhotoStoreLimits): PhotoBytes;
  lease(name: string): Lease;
}

/** A lease in this process: one holder until `ttlMs` after its last hold (the same rules as in Redis). */
export class MemoryLease implements Lease {
  #owner: string | undefined;
  #until = 0;

  async hold(owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    if (this.#owner !== undefined && this.#owner !== owner && now < this.#until) return false;
    this.#owner = owner;
    this.#until = now + ttlMs;
    return true;
  }

  async release(owner: string): Promise<void> {
    if (this.#owner === owner) this.#owner = undefined;
  }
}

/** One process: each call makes a new store or lease, so two demo servers in one process stay apart. */
export const localCluster: DemoCluster = {
  photos: (limits) => new MemoryPhotoStore(limits),
  lease: () => new MemoryLease(),
};

class RedisLease implements Lease {
  readonly #port: RedisPort;
  readonly #key: string;

  constructor(port: RedisPort, key: string) {
    this.#port = port;
    this.#key = key;
  }

  async hold(owner: string, ttlMs: number): Promise<boolean> {
    const [held] = await this.#port.batch([{ script: LEASE_HOLD, keys: [this.#key], args: [owner, ttlMs] }]);
    return held === 1;
  }

  async release(owner: string): Promise<void> {
    await this.#port.batch([{ script: LEASE_RELEASE, keys: [this.#key], args: [owner] }]);
  }
}

/** Photos and leases in the engine's Redis (`port`: the engine's own port, `prefix`: its key prefix). */
export function redisCluster(port: RedisPort, prefix: string): DemoCluster {
  return {
    photos: (limits) => new RedisPhotoStore(port, prefix, limits),
    lease: (name) => new RedisLease(port, `${prefix}:demo:lease:${name}`),
  };
}
