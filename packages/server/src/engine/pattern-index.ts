// The memory engine's subscription index: pattern -> the clients subscribed to it. A publish looks up
// only the keys `expand(channel)` lists (remembered per name, channel-cache.ts): the exact name, `/*` at
// the parent, `/**` at every ancestor (Bayeux §2.2.1), so O(depth) lookups, never a scan of all clients.

import { channelExpansions } from '../channel-cache.js';

/** The clients subscribed to one pattern, and the one string of that pattern the index keeps. */
class Subscribers extends Set<string> {
  readonly pattern: string;
  constructor(pattern: string) {
    super();
    this.pattern = pattern;
  }
}

export class PatternIndex {
  private readonly sets = new Map<string, Subscribers>();

  /**
   * Records one subscription; returns the index's own string of `pattern` (the first subscriber's), which
   * callers keep instead of theirs: every subscriber of a room then holds one string, not a copy each.
   */
  add(pattern: string, clientId: string): string {
    let set = this.sets.get(pattern);
    if (set === undefined) this.sets.set(pattern, (set = new Subscribers(pattern)));
    set.add(clientId);
    return set.pattern;
  }

  /** Forgets one subscription; an emptied pattern goes with its Set. */
  remove(pattern: string, clientId: string): void {
    const set = this.sets.get(pattern);
    if (set === undefined) return;
    set.delete(clientId);
    if (set.size === 0) this.sets.delete(pattern);
  }

  /**
   * The clients with a subscription matching `channel`, each once; undefined when none. The Set may be
   * the index's own: the caller must not change it, nor keep it past its next call into the index.
   */
  matching(channel: string): ReadonlySet<string> | undefined {
    // De-duplicate across the matching patterns only when more than one has subscribers (the common case,
    // one exact-name set, needs no copy).
    let first: Subscribers | undefined;
    let union: Set<string> | undefined;
    for (const key of channelExpansions.get(channel)) {
      const set = this.sets.get(key);
      if (set === undefined) continue;
      if (first === undefined) first = set;
      else {
        union ??= new Set(first);
        for (const id of set) union.add(id);
      }
    }
    return union ?? first;
  }

  clear(): void {
    this.sets.clear();
  }
}
