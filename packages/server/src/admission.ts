// Admission control on this node (issue 8 items 4 and 5): how many connections the mount holds, how fast a
// connection or an address may handshake, and how many live sessions an address holds. Each bound is a
// named option (options.ts); each refusal is counted in StatsCounter. Every map here is bounded: the rate
// windows hold only the addresses seen in the current second, the per-address counts only addresses with a
// live session (an entry goes when its last session dies), and the per-connection windows are keyed weakly
// by the socket object (gone with the socket).
//
// Per node: with a shared engine (Redis), maxSessions counts every node's sessions (engine.clientCount()),
// while the per-address counts and rates are this node's own (a balancer spreading one address over N nodes
// lets it hold N x maxSessionsPerAddress). A session made here may end through another node (it expired
// while its connects went there, no stickiness): the engine tells the node that held it, not this one, so
// the count here would only grow (issue 12 item 4). Before refusing an address at its cap, settleSessions
// asks the engine which of the sessions counted here still exist (oldest first, at most
// RECHECK_MAX_SESSIONS a refusal) and forgets the rest.
//
// "Address" means the key addressGroup() gives (address-group.ts): an IPv6 peer counts with its whole
// /ipv6PrefixLength (default /64), an IPv4-mapped IPv6 peer as its IPv4 address.

import type { Advice } from '@pushwire/bayeux';
import { addressGroup } from './address-group.js';
import type { ResolvedOptions } from './options.js';
import type { StatsCounter } from './stats.js';

/** Advice for a handshake refused by a rate limit: the window clears within a second (CometD backs off). */
export const RATE_ADVICE: Advice = { reconnect: 'handshake', interval: 1000 };
/** Advice when the server is full: sessions expire (maxInterval), so come back later. */
export const FULL_ADVICE: Advice = { reconnect: 'handshake', interval: 5000 };
/** Advice when one address holds too many sessions: a real client never needs that many; stop. */
export const ADDRESS_FULL_ADVICE: Advice = { reconnect: 'none' };

/**
 * Addresses one rate window remembers (fixed): a flood from more distinct addresses than this in one second
 * (an attacker with a /48 has 65,536 /64s) would otherwise grow the map with the flood. Past it, the new
 * addresses of that second share ONE count (OVERFLOW_KEY) under the same limit: the counts already held
 * are kept (a reset would let an address past its limit start again), and memory stays bounded.
 */
export const RATE_WINDOW_MAX_ADDRESSES = 100_000;
const OVERFLOW_KEY = '\0overflow';

/**
 * Sessions of one address that one refused handshake checks against the engine (fixed): a cap of 10,000
 * must not cost 10,000 lookups a handshake. The ones checked and alive go to the back, so a refused
 * address's successive handshakes (bounded by maxHandshakesPerAddress a second) walk all of them.
 */
export const RECHECK_MAX_SESSIONS = 64;

/** A fixed one-second window per key, remembering at most `maxKeys` keys (and the shared overflow count). */
export class RateWindow {
  #start = 0;
  readonly #counts = new Map<string, number>();
  readonly #maxKeys: number;

  constructor(maxKeys = RATE_WINDOW_MAX_ADDRESSES) {
    this.#maxKeys = maxKeys;
  }

  /** Keys remembered in the current window (tests). */
  get size(): number {
    return this.#counts.size;
  }

  /** Counts one event for `key` at `now`; true when it is within `limit` for this second. */
  hit(peer: string, limit: number, now: number): boolean {
    if (now - this.#start >= 1000) {
      // A new window: the old counts go, so the map never holds more than one second's addresses.
      this.#counts.clear();
      this.#start = now;
    }
    const key = this.#counts.has(peer) || this.#counts.size < this.#maxKeys ? peer : OVERFLOW_KEY;
    const n = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, n);
    return n <= limit;
  }
}

interface ConnectionWindow {
  start: number;
  count: number;
}

/** Why a handshake was refused: the scope and limit go into the error's args (errors.ts). */
export type HandshakeRefusal =
  | { kind: 'rate'; scope: 'connection' | 'address'; limit: number }
  | { kind: 'sessions'; scope: 'address'; limit: number };

export class Admission {
  readonly #options: ResolvedOptions;
  readonly #stats: StatsCounter;
  #connections = 0;
  readonly #perConnection = new WeakMap<object, ConnectionWindow>();
  readonly #perAddressRate = new RateWindow();
  /** Live sessions (and handshakes in progress) per address; no entry at zero. */
  readonly #sessionsPerAddress = new Map<string, number>();
  readonly #addressOf = new Map<string, string>();
  /** The sessions made here, per address, oldest first (what settleSessions checks). */
  readonly #idsOf = new Map<string, Set<string>>();

  constructor(options: ResolvedOptions, stats: StatsCounter) {
    this.#options = options;
    this.#stats = stats;
  }

  /** Takes a connection slot (an upgrade, an HTTP request to the mount); false when maxConnections is reached. */
  openConnection(remoteAddress: string): boolean {
    if (this.#connections >= this.#options.maxConnections) {
      this.#stats.count('connections', remoteAddress);
      return false;
    }
    this.#connections++;
    return true;
  }

  closeConnection(): void {
    if (this.#connections > 0) this.#connections--;
  }

  get connections(): number {
    return this.#connections;
  }

  /**
   * Checks a handshake against the rate limits and the per-address session cap, and reserves a session slot
   * for the address when it passes (bind it with sessionCreated, or give it back with cancelReservation).
   * A `sessions` refusal is not final: settleSessions decides (and counts it).
   */
  admitHandshake(connection: object | undefined, peer: string, now: number): HandshakeRefusal | undefined {
    const o = this.#options;
    // Counted under its group; reported (diagnostics) with the peer's own address.
    const address = this.#key(peer);
    if (connection !== undefined) {
      let w = this.#perConnection.get(connection);
      if (w === undefined || now - w.start >= 1000) {
        w = { start: now, count: 0 };
        this.#perConnection.set(connection, w);
      }
      w.count++;
      if (w.count > o.maxHandshakesPerConnection) {
        this.#stats.count('handshake-rate', peer);
        return { kind: 'rate', scope: 'connection', limit: o.maxHandshakesPerConnection };
      }
    }
    if (!this.#perAddressRate.hit(address, o.maxHandshakesPerAddress, now)) {
      this.#stats.count('handshake-rate', peer);
      return { kind: 'rate', scope: 'address', limit: o.maxHandshakesPerAddress };
    }
    return this.#reserve(address);
  }

  /**
   * After admitHandshake refused `peer` for its session cap: forgets the sessions counted here that the
   * engine no longer holds (ended through another node), then reserves a slot if one is free now. The
   * refusal that stands is counted.
   */
  async settleSessions(
    peer: string,
    exists: (clientId: string) => Promise<boolean>,
  ): Promise<HandshakeRefusal | undefined> {
    const address = this.#key(peer);
    // The oldest first, without copying the whole set (it may hold maxSessionsPerAddress ids).
    const ids: string[] = [];
    for (const id of this.#idsOf.get(address) ?? []) {
      if (ids.length === RECHECK_MAX_SESSIONS) break;
      ids.push(id);
    }
    const alive = await Promise.all(ids.map((id) => exists(id)));
    ids.forEach((id, i) => {
      if (!alive[i]) this.sessionEnded(id);
      else {
        // Checked: to the back, so the next refusal checks others.
        const set = this.#idsOf.get(address);
        if (set?.delete(id)) set.add(id);
      }
    });
    const refusal = this.#reserve(address);
    if (refusal !== undefined) this.#stats.count('sessions', peer);
    return refusal;
  }

  #reserve(address: string): HandshakeRefusal | undefined {
    const limit = this.#options.maxSessionsPerAddress;
    const live = this.#sessionsPerAddress.get(address) ?? 0;
    if (live >= limit) return { kind: 'sessions', scope: 'address', limit };
    this.#sessionsPerAddress.set(address, live + 1);
    return undefined;
  }

  /** A reserved slot that did not become a session (another check refused, the engine failed). */
  cancelReservation(address: string): void {
    this.#decrement(this.#key(address));
  }

  /** The reserved slot now belongs to `clientId`, until sessionEnded. */
  sessionCreated(clientId: string, address: string): void {
    const key = this.#key(address);
    this.#addressOf.set(clientId, key);
    let ids = this.#idsOf.get(key);
    if (ids === undefined) this.#idsOf.set(key, (ids = new Set()));
    ids.add(clientId);
    // More sessions remembered here than the engine may hold at all (maxSessions) means some ended without
    // this node hearing it (a shared engine whose sink tells only the node that holds the client): the
    // oldest go first. So both maps stay bounded by maxSessions whatever the engine reports.
    while (this.#addressOf.size > this.#options.maxSessions) {
      const oldest = this.#addressOf.keys().next().value as string;
      this.sessionEnded(oldest);
    }
  }

  /** The engine destroyed a session (disconnect, expiry, slow): its address holds one fewer. */
  sessionEnded(clientId: string): void {
    const address = this.#addressOf.get(clientId);
    if (address === undefined) return;
    this.#addressOf.delete(clientId);
    const ids = this.#idsOf.get(address);
    ids?.delete(clientId);
    if (ids?.size === 0) this.#idsOf.delete(address);
    this.#decrement(address);
  }

  /** Counted when the server refuses a handshake for maxSessions (the engine's total). */
  refusedFull(address: string): void {
    this.#stats.count('sessions', address);
  }

  /** Live sessions this node counts for `address` (tests, metrics). */
  sessionsOf(address: string): number {
    return this.#sessionsPerAddress.get(this.#key(address)) ?? 0;
  }

  /** Addresses with live sessions here (the per-address map's size: bounded by the sessions). */
  get trackedAddresses(): number {
    return this.#sessionsPerAddress.size;
  }

  /** The key an address counts under: its IPv6 prefix, or the IPv4 address (address-group.ts). */
  #key(address: string): string {
    return addressGroup(address, this.#options.ipv6PrefixLength);
  }

  #decrement(address: string): void {
    const n = (this.#sessionsPerAddress.get(address) ?? 1) - 1;
    if (n <= 0) this.#sessionsPerAddress.delete(address);
    else this.#sessionsPerAddress.set(address, n);
  }
}
