// Per-channel-name results that every publish needs again: is the name valid (Bayeux §2.2 grammar: a split
// and a regular expression per segment) and which subscription keys match it (`expand`: a string per
// ancestor). A chat publishes to the same few names over and over, so both are remembered per name.
// Bounded: past `limit` distinct names the cache is cleared (a client cycling through random names costs
// a re-parse, never unbounded memory), and only names short enough to be valid are remembered.

import { DEFAULT_MAX_CHANNEL_LENGTH, expand, isValidChannel } from '@pushwire/bayeux';

/** Most channel names each cache remembers before it is cleared. */
export const CHANNEL_CACHE_LIMIT = 10_000;

/** A bounded memo of one pure function of a channel name. */
export class ChannelCache<T> {
  readonly #compute: (name: string) => T;
  readonly #limit: number;
  readonly #entries = new Map<string, T>();

  constructor(compute: (name: string) => T, limit = CHANNEL_CACHE_LIMIT) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError('pushwire: channel cache limit must be a positive integer');
    }
    this.#compute = compute;
    this.#limit = limit;
  }

  get(name: string): T {
    const hit = this.#entries.get(name);
    if (hit !== undefined) return hit;
    const value = this.#compute(name);
    // Longer names are never valid (DEFAULT_MAX_CHANNEL_LENGTH): not worth keeping, and keys stay small.
    if (name.length <= DEFAULT_MAX_CHANNEL_LENGTH) {
      if (this.#entries.size >= this.#limit) this.#entries.clear();
      this.#entries.set(name, value);
    }
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** `isValidChannel(name)` under the default (lenient) grammar, remembered per name. */
export const validChannels = new ChannelCache<boolean>((name) => isValidChannel(name));

/** `expand(name)` for a valid concrete name, remembered per name (frozen: callers share the array). */
export const channelExpansions = new ChannelCache<readonly string[]>((name) => Object.freeze(expand(name)));
