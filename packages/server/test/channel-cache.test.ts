// ChannelCache: remembers per name, bounded by its limit (crossed by one: cleared), long names not kept.
import { describe, expect, it } from 'vitest';
import {
  CHANNEL_CACHE_LIMIT,
  CHANNEL_CACHE_MAX_BYTES,
  ChannelCache,
  channelExpansions,
  validChannels,
} from '../src/channel-cache.js';

describe('ChannelCache', () => {
  it('computes once per name while under the limit; one name past the limit clears it', () => {
    const calls: string[] = [];
    const cache = new ChannelCache((name) => {
      calls.push(name);
      return name.length;
    }, 3);
    for (const name of ['/a', '/b', '/c', '/a', '/b', '/c']) cache.get(name);
    expect(calls).toEqual(['/a', '/b', '/c']);
    expect(cache.size).toBe(3);
    expect(cache.get('/dd')).toBe(3);
    expect(cache.size).toBe(1);
    expect(cache.get('/a')).toBe(2);
    expect(calls).toEqual(['/a', '/b', '/c', '/dd', '/a']);
  });

  it('does not keep names longer than any valid channel', () => {
    const cache = new ChannelCache((name) => name.length);
    const long = `/${'x'.repeat(600)}`;
    expect(cache.get(long)).toBe(601);
    expect(cache.size).toBe(0);
  });

  it('is bounded by bytes too: an entry that would cross maxBytes by one clears the cache first', () => {
    // sizeOf: 10 bytes per entry; maxBytes 30 holds three.
    const cache = new ChannelCache(
      (name) => name,
      100,
      30,
      () => 10,
    );
    for (const name of ['/a', '/b', '/c']) cache.get(name);
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(30);
    cache.get('/d');
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(10);
    // An entry bigger than the whole budget is computed but never kept.
    const big = new ChannelCache(
      (name) => name,
      100,
      30,
      () => 31,
    );
    expect(big.get('/x')).toBe('/x');
    expect(big.size).toBe(0);
  });

  it('the expansion cache counts the bytes of every key', () => {
    channelExpansions.clear();
    channelExpansions.get('/a/b');
    // '/a/b' (4) + keys '/a/b' (4), '/a/*' (4), '/a/**' (5), '/**' (3): 2 bytes a code unit, 8 per key.
    expect(channelExpansions.bytes).toBe(4 * 2 + (4 + 4 + 5 + 3) * 2 + 4 * 8);
    expect(CHANNEL_CACHE_MAX_BYTES).toBe(8 * 1024 * 1024);
  });

  it('validChannels checks the grammar only: depth is the maxChannelSegments of each server', () => {
    expect(validChannels.get(`${'/x'.repeat(40)}`)).toBe(true);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new ChannelCache(() => 1, 0)).toThrow(RangeError);
    expect(() => new ChannelCache(() => 1, 1, 0)).toThrow(RangeError);
    expect(CHANNEL_CACHE_LIMIT).toBe(10_000);
  });

  it('the shared caches answer like the functions they remember', () => {
    expect(validChannels.get('/chat/room-1')).toBe(true);
    expect(validChannels.get('/chat/room-1')).toBe(true);
    expect(validChannels.get('/chat/*')).toBe(false);
    expect(validChannels.get('chat')).toBe(false);
    expect(channelExpansions.get('/a/b')).toEqual(['/a/b', '/a/*', '/a/**', '/**']);
    expect(Object.isFrozen(channelExpansions.get('/a/b'))).toBe(true);
  });
});
