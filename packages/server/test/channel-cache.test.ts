// ChannelCache: remembers per name, bounded by its limit (crossed by one: cleared), long names not kept.
import { describe, expect, it } from 'vitest';
import { CHANNEL_CACHE_LIMIT, ChannelCache, channelExpansions, validChannels } from '../src/channel-cache.js';

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

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new ChannelCache(() => 1, 0)).toThrow(RangeError);
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
