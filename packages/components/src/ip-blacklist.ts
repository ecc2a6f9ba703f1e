// IpBlackList (Ratchet's Server\IpBlackList): refuses peers by address or CIDR range, IPv4 and IPv6,
// changed at run time. Under an IoServer it answers `admit`, so a blocked peer's TCP connection is
// destroyed at accept, before any byte (HTTP, TLS) is read; no component hears of it. Anywhere else in a
// stack it closes the connection in onOpen and swallows its events, as Ratchet's does.

import net from 'node:net';
import type { Awaitable, Component, Message } from './component.js';
import { type Connection, normalizeAddress } from './connection.js';
import type { HttpRequest } from './http-request.js';
import { DEFAULTS, positive } from './options.js';

export interface IpBlackListOptions {
  /** Most addresses and ranges held; one more throws RangeError. Default 10,000. */
  maxEntries?: number;
}

interface Entry {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses '1.2.3.4', '10.0.0.0/8', '::1', '2001:db8::/32' into a canonical entry; throws on garbage. */
export function parseBlockEntry(text: string): Entry {
  const slash = text.indexOf('/');
  const address = normalizeAddress(slash === -1 ? text.trim() : text.slice(0, slash).trim());
  const version = net.isIP(address);
  if (version === 0) throw new TypeError(`pushwire components: not an IP address or CIDR range: '${text}'`);
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) {
      throw new TypeError(`pushwire components: bad prefix length in '${text}' (0..${max})`);
    }
    prefix = Number(p);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function keyOf(e: Entry): string {
  return `${e.address.toLowerCase()}/${e.prefix}`;
}

export class IpBlackList implements Component {
  readonly component: Component;
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  #list = new net.BlockList();
  readonly #blockedConns = new WeakSet<Connection>();

  constructor(component: Component, options: IpBlackListOptions = {}) {
    this.component = component;
    this.#maxEntries = positive('maxEntries', options.maxEntries, DEFAULTS.maxBlockedEntries);
  }

  get subprotocols(): readonly string[] | undefined {
    return this.component.subprotocols;
  }

  /** Blocks an address ('203.0.113.7', '::1') or a CIDR range ('10.0.0.0/8', '2001:db8::/32'). */
  blockAddress(entry: string): this {
    const parsed = parseBlockEntry(entry);
    const key = keyOf(parsed);
    if (this.#entries.has(key)) return this;
    if (this.#entries.size >= this.#maxEntries) {
      throw new RangeError(
        `pushwire components: the blacklist holds maxEntries (${this.#maxEntries}) already`,
      );
    }
    this.#entries.set(key, parsed);
    this.#add(this.#list, parsed);
    return this;
  }

  /** Removes an entry given exactly as blocked (same address or range). */
  unblockAddress(entry: string): this {
    if (this.#entries.delete(keyOf(parseBlockEntry(entry)))) {
      // net.BlockList cannot remove a rule: rebuild it (blocking changes are rare, checks are hot).
      const list = new net.BlockList();
      for (const e of this.#entries.values()) this.#add(list, e);
      this.#list = list;
    }
    return this;
  }

  #add(list: net.BlockList, e: Entry): void {
    const max = e.family === 'ipv4' ? 32 : 128;
    if (e.prefix === max) list.addAddress(e.address, e.family);
    else list.addSubnet(e.address, e.prefix, e.family);
  }

  /** The entries, as 'address/prefix'. */
  getBlockedAddresses(): string[] {
    return [...this.#entries.keys()];
  }

  isBlocked(address: string): boolean {
    const a = normalizeAddress(address);
    const version = net.isIP(a);
    if (version === 0) return false;
    return this.#list.check(a, version === 4 ? 'ipv4' : 'ipv6');
  }

  admit(remoteAddress: string): boolean {
    if (this.isBlocked(remoteAddress)) return false;
    return this.component.admit?.(remoteAddress) ?? true;
  }

  onOpen(conn: Connection, request?: HttpRequest): Awaitable {
    if (this.isBlocked(conn.remoteAddress)) {
      this.#blockedConns.add(conn);
      conn.terminate();
      return;
    }
    return this.component.onOpen?.(conn, request);
  }

  onMessage(conn: Connection, message: Message): Awaitable {
    if (this.#blockedConns.has(conn)) return;
    return this.component.onMessage?.(conn, message);
  }

  onClose(conn: Connection): Awaitable {
    if (this.#blockedConns.has(conn)) return;
    return this.component.onClose?.(conn);
  }

  onError(conn: Connection, error: Error): Awaitable {
    if (this.#blockedConns.has(conn)) return;
    return this.component.onError?.(conn, error);
  }
}
