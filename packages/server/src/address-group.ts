// The key the per-address limits count under (admission.ts). One IPv4 address is one key, but one IPv6
// address is not a useful unit: RFC 6177 and RFC 7421 make a /64 the smallest prefix a site gets, and SLAAC
// privacy addresses (RFC 8981) rotate within it, so a single host, let alone an attacker with a /64, has
// 2^64 addresses to spread handshakes over. Like nginx's and Cloudflare's rate limiters, IPv6 addresses are
// grouped by a prefix (`ipv6PrefixLength`, default 64). An IPv4-mapped IPv6 address (RFC 4291 2.5.5.2,
// `::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4 peer) is the IPv4 address itself, so one
// peer counts the same whichever way the socket reports it.

import { isIPv4, isIPv6 } from 'node:net';

/** Parses an IPv6 literal into its eight 16-bit groups (undefined when it is not one). */
function ipv6Groups(address: string): number[] | undefined {
  if (!isIPv6(address)) return undefined;
  let text = address;
  const tail: number[] = [];
  // RFC 4291 2.2 form 3: the low 32 bits may be written as dotted IPv4.
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (isIPv4(last)) {
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, lastColon + 1);
    // `::ffff:1.2.3.4` leaves `::ffff:`; `::1.2.3.4` leaves `::`: drop a single trailing colon of a group.
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const want = 8 - tail.length;
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16));
  const gap = text.indexOf('::');
  let groups: number[];
  if (gap < 0) groups = parse(text);
  else {
    const head = parse(text.slice(0, gap));
    const rest = parse(text.slice(gap + 2));
    groups = [...head, ...new Array<number>(want - head.length - rest.length).fill(0), ...rest];
  }
  groups.push(...tail);
  return groups.length === 8 ? groups : undefined;
}

/**
 * The per-address key of `address`: an IPv4 address as it is, an IPv4-mapped IPv6 address as its IPv4
 * address, any other IPv6 address as its first `prefixLength` bits (`2001:db8:1:2::/64`), a zone id
 * (`fe80::1%eth0`) ignored. Anything else (`unknown`, a name a proxy wrote) is its own key.
 */
export function addressGroup(address: string, prefixLength: number): string {
  if (isIPv4(address)) return address;
  const zone = address.indexOf('%');
  const bare = zone < 0 ? address : address.slice(0, zone);
  const groups = ipv6Groups(bare);
  if (groups === undefined) return address;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const hi = groups[6] ?? 0;
    const lo = groups[7] ?? 0;
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  const kept: string[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.min(16, Math.max(0, prefixLength - i * 16));
    if (bits === 0) break;
    // Keep the top `bits` bits of this group.
    const mask = bits === 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    kept.push(((groups[i] ?? 0) & mask).toString(16));
  }
  return `${kept.join(':')}${kept.length < 8 ? '::' : ''}/${prefixLength}`;
}
