// The per-address key (address-group.ts): IPv6 grouped by prefix, IPv4-mapped IPv6 as IPv4, the rest as is.
import { describe, expect, it } from 'vitest';
import { addressGroup } from '../src/address-group.js';

describe('addressGroup', () => {
  it('an IPv4 address is its own key; an IPv4-mapped IPv6 address (RFC 4291 2.5.5.2) is the IPv4 address', () => {
    expect(addressGroup('203.0.113.5', 64)).toBe('203.0.113.5');
    expect(addressGroup('::ffff:203.0.113.5', 64)).toBe('203.0.113.5');
    expect(addressGroup('::FFFF:cb00:7105', 64)).toBe('203.0.113.5');
    expect(addressGroup('0:0:0:0:0:ffff:203.0.113.5', 128)).toBe('203.0.113.5');
  });

  it('every address of one /64 is one key, whatever its spelling; the next /64 is another', () => {
    const one = [
      '2001:db8:1:2::1',
      '2001:db8:1:2:ffff:ffff:ffff:ffff',
      '2001:DB8:1:2:3:4:5:6',
      '2001:0db8:0001:0002:0000:0000:0000:0009',
      '2001:db8:1:2::1%eth0',
    ].map((a) => addressGroup(a, 64));
    expect(new Set(one)).toEqual(new Set(['2001:db8:1:2::/64']));
    expect(addressGroup('2001:db8:1:3::1', 64)).toBe('2001:db8:1:3::/64');
  });

  it('the prefix length is honoured at bit granularity (/48, /60, /128)', () => {
    expect(addressGroup('2001:db8:1:2::1', 48)).toBe('2001:db8:1::/48');
    // /60 keeps the top 12 bits of the fourth group: 0x1f and 0x10 share it, 0x20 does not.
    expect(addressGroup('2001:db8:1:1f::1', 60)).toBe(addressGroup('2001:db8:1:10::1', 60));
    expect(addressGroup('2001:db8:1:20::1', 60)).not.toBe(addressGroup('2001:db8:1:10::1', 60));
    expect(addressGroup('2001:db8::1', 128)).not.toBe(addressGroup('2001:db8::2', 128));
    expect(addressGroup('1:2:3:4:5:6:1.2.3.4', 128)).toBe('1:2:3:4:5:6:102:304/128');
  });

  it('what is not an IP literal is its own key', () => {
    for (const a of ['unknown', 'local', '', '2001:db8::1::2', '999.1.1.1'])
      expect(addressGroup(a, 64)).toBe(a);
  });
});
