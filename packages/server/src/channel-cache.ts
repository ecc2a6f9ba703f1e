// Per-channel-name results that every publish needs again: is the name valid (Bayeux §2.2 grammar: a split
// and a regular expression per segment) and which subscription keys match it (`expand`: a string per
// ancestor). A chat publishes to the same few names over and over, so both are remembered per name.
// Bounded by count AND by bytes (issue 8 item 6: 10,000 names of 250 segments each held 227 MB, because
// expand() of such a name is 251 strings of up to 512 characters). Past either bound the cache is cleared: a
// client cycling through random names costs a re-parse, never unbounded memory. Only names short enough to
// be valid are remembered; the depth of a name is bounded by maxChannelSegments before it gets here.

import { DEFAULT_MAX_CHANNEL_LENGTH, expand, isValidChannel } from '@pushwire/bayeux';

/** Most channel names each cache remembers before it is cleared. */
export const CHANNEL_CACHE_LIMIT = 10_000;
/** Most bytes (UTF-16 code units x 2, names and values) each cache holds before it is cleared: 8 MiB. */
export const CHANNEL_CACHE_MAX_BYTES = 8 * 1024 * 1024;

/** A bounded memo of one pure function of a channel name. */
export class ChannelCache<T> {
  readonly #compute: (name: string) => T;
  readonly #limit: number;
  readonly #maxBytes: number;
  readonly #sizeOf: (name: string, value: T) => number;
  readonly #entries = new Map<string, T>();
  #bytes = 0;

  /** `sizeOf` estimates an entry's bytes (default: the name's). */
  constructor(
    compute: (name: string) => T,
    limit = CHANNEL_CACHE_LIMIT,
    maxBytes = CHANNEL_CACHE_MAX_BYTES,
    sizeOf: (name: string, value: T) => number = (name) => name.length * 2,
  ) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError('pushwire: channel cache limit must be a positive integer');
    }
    if (!Number.isInteger(maxBytes) || maxBytes < 1) {
      throw new RangeError('pushwire: channel cache maxBytes must be a positive integer');
    }
    this.#compute = compute;
    this.#limit = limit;
    this.#maxBytes = maxBytes;
    this.#sizeOf = sizeOf;
  }

  get(name: string): T {
    const hit = this.#entries.get(name);
    if (hit !== undefined) return hit;
    const value = this.#compute(name);
    // Longer names are never valid (DEFAULT_MAX_CHANNEL_LENGTH): not worth keeping, and keys stay small.
    if (name.length <= DEFAULT_MAX_CHANNEL_LENGTH) {
      const bytes = this.#sizeOf(name, value);
      if (this.#entries.size >= this.#limit || this.#bytes + bytes > this.#maxBytes) this.clear();
      if (bytes <= this.#maxBytes) {
        this.#entries.set(name, value);
        this.#bytes += bytes;
      }
    }
    return value;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The estimated bytes held (names and values). */
  get bytes(): number {
    return this.#bytes;
  }
}

/**
 * `isValidChannel(name)` under the default (lenient) grammar, remembered per name. The grammar only: depth is
 * each server's own maxChannelSegments, checked before this (validateMessage, publishFromServer).
 */
export const validChannels = new ChannelCache<boolean>((name) =>
  isValidChannel(name, { maxSegments: Number.POSITIVE_INFINITY }),
);

/** Bytes of an expansion: every key (two bytes a code unit) plus a pointer each. */
function expansionBytes(name: string, keys: readonly string[]): number {
  let n = name.length * 2;
  for (const k of keys) n += k.length * 2 + 8;
  return n;
}

/** `expand(name)` for a valid concrete name, remembered per name (frozen: callers share the array). */
export const channelExpansions = new ChannelCache<readonly string[]>(
  (name) => Object.freeze(expand(name)),
  CHANNEL_CACHE_LIMIT,
  CHANNEL_CACHE_MAX_BYTES,
  expansionBytes,
);
