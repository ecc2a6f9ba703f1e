// The memory engine's presence sets: channel -> members in join order (a Map keeps insertion order), and
// per client the channels it is present in, so destroying a client removes it everywhere in O(its
// channels). A set is deleted when its last member leaves (no memory per empty room).

import type { PresenceChange, PresenceMember, PresenceSnapshot } from './engine.js';

export class PresenceStore {
  readonly #sets = new Map<string, Map<string, string>>();
  readonly #byClient = new Map<string, Set<string>>();

  join(channel: string, clientId: string, info: string): PresenceChange {
    let set = this.#sets.get(channel);
    if (set?.has(clientId) === true) return { changed: false, count: set.size };
    if (set === undefined) this.#sets.set(channel, (set = new Map()));
    set.set(clientId, info);
    let mine = this.#byClient.get(clientId);
    if (mine === undefined) this.#byClient.set(clientId, (mine = new Set()));
    mine.add(channel);
    return { changed: true, count: set.size, member: { clientId, info } };
  }

  leave(channel: string, clientId: string): PresenceChange {
    const set = this.#sets.get(channel);
    const info = set?.get(clientId);
    if (set === undefined || info === undefined) return { changed: false, count: set?.size ?? 0 };
    set.delete(clientId);
    if (set.size === 0) this.#sets.delete(channel);
    const mine = this.#byClient.get(clientId);
    mine?.delete(channel);
    if (mine?.size === 0) this.#byClient.delete(clientId);
    return { changed: true, count: set.size, member: { clientId, info } };
  }

  /** Removes the client from every set; returns one change per set it was in. */
  leaveAll(clientId: string): Array<{ channel: string; change: PresenceChange }> {
    const mine = this.#byClient.get(clientId);
    if (mine === undefined) return [];
    const out: Array<{ channel: string; change: PresenceChange }> = [];
    for (const channel of [...mine]) out.push({ channel, change: this.leave(channel, clientId) });
    return out;
  }

  snapshot(channel: string, maxMembers: number): PresenceSnapshot {
    const set = this.#sets.get(channel);
    if (set === undefined) return { count: 0, members: [] };
    if (set.size > maxMembers) return { count: set.size };
    const members: PresenceMember[] = [];
    for (const [clientId, info] of set) members.push({ clientId, info });
    return { count: set.size, members };
  }

  clear(): void {
    this.#sets.clear();
    this.#byClient.clear();
  }
}
