// Option validation follows one rule: TypeError for a value of the wrong type, RangeError for the right type
// out of range (issue 14). The engine's options follow the same rule with the same queuePolicy check.
import { describe, expect, it } from 'vitest';
import { createMemoryEngine } from '../src/engine/memory-engine.js';
import { resolveOptions } from '../src/options.js';

const bad = (o: Record<string, unknown>) => () => resolveOptions(o as never);

describe('resolveOptions', () => {
  it('wrong type: TypeError', () => {
    expect(bad({ timeout: '30' })).toThrow(TypeError);
    expect(bad({ maxQueue: '1' })).toThrow(TypeError);
    expect(bad({ mount: 5 })).toThrow(TypeError);
    expect(bad({ transports: 'long-polling' })).toThrow(TypeError);
    expect(bad({ transports: [1] })).toThrow(TypeError);
    expect(bad({ queuePolicy: 1 })).toThrow(TypeError);
    expect(bad({ maxSessionsPerBrowser: '1' })).toThrow(TypeError);
  });

  it('right type, out of range: RangeError', () => {
    expect(bad({ timeout: -1 })).toThrow(RangeError);
    expect(bad({ maxQueue: 0 })).toThrow(RangeError);
    expect(bad({ maxQueue: 1.5 })).toThrow(RangeError);
    expect(bad({ mount: 'bayeux' })).toThrow(RangeError);
    expect(bad({ transports: ['long-polling', 'eventsource'] })).toThrow(RangeError);
    expect(bad({ transports: ['websocket'] })).toThrow(/must include 'long-polling'/);
    expect(bad({ queuePolicy: 'drop-newest' })).toThrow(RangeError);
    expect(bad({ maxSessionsPerBrowser: 0.5 })).toThrow(RangeError);
    expect(bad({ multiSessionInterval: -1 })).toThrow(RangeError);
  });

  it('the engine applies the same rule and the same queuePolicy check', () => {
    expect(() => createMemoryEngine({ maxQueue: '1' as never })).toThrow(TypeError);
    expect(() => createMemoryEngine({ queuePolicy: 1 as never })).toThrow(TypeError);
    expect(() => createMemoryEngine({ queuePolicy: 'drop-newest' as never })).toThrow(
      "pushwire engine: queuePolicy must be one of 'drop-oldest', 'disconnect'",
    );
    expect(bad({ queuePolicy: 'drop-newest' })).toThrow(
      "pushwire: option queuePolicy must be one of 'drop-oldest', 'disconnect'",
    );
  });

  it('the admission, deadline, depth and host options follow the same rule', () => {
    for (const name of [
      'maxConnections',
      'maxHandshakesPerConnection',
      'maxHandshakesPerAddress',
      'maxSessions',
      'maxSessionsPerAddress',
      'ipv6PrefixLength',
      'maxSubscriptionBytesPerClient',
      'maxPendingHandlers',
      'handshakeDeadline',
      'bodyTimeout',
      'maxChannelSegments',
    ]) {
      expect(bad({ [name]: '1' })).toThrow(TypeError);
      expect(bad({ [name]: 0 })).toThrow(`pushwire: option ${name} must be an integer >= 1`);
      expect(resolveOptions({ [name]: 1 })[name as 'maxConnections']).toBe(1);
    }
    expect(bad({ ipv6PrefixLength: 129 })).toThrow('pushwire: option ipv6PrefixLength must be at most 128');
    expect(resolveOptions({ ipv6PrefixLength: 128 }).ipv6PrefixLength).toBe(128);
    expect(bad({ trustProxy: 'yes' })).toThrow(TypeError);
    expect(bad({ allowedHosts: 'example.com' })).toThrow(TypeError);
    expect(bad({ allowedHosts: [1] })).toThrow(TypeError);
    expect(bad({ allowedHosts: ['example.com:8000'] })).toThrow(RangeError);
    expect(bad({ allowedHosts: ['https://example.com'] })).toThrow(RangeError);
    expect(resolveOptions({ allowedHosts: ['Chat.Example', '[::1]'] }).allowedHosts).toEqual([
      'chat.example',
      '[::1]',
    ]);
    expect(resolveOptions({ maxChannelSegments: 4 }).validation).toEqual({ channel: { maxSegments: 4 } });
  });

  it('the defaults of the limits', () => {
    const o = resolveOptions({});
    expect([
      o.maxConnections,
      o.maxHandshakesPerConnection,
      o.maxHandshakesPerAddress,
      o.maxSessions,
      o.maxSessionsPerAddress,
      o.ipv6PrefixLength,
      o.maxSubscriptionBytesPerClient,
      o.maxPendingHandlers,
      o.handshakeDeadline,
      o.bodyTimeout,
      o.maxChannelSegments,
      o.allowedHosts,
      o.trustProxy,
    ]).toEqual([10_000, 50, 1000, 100_000, 10_000, 64, 32 * 1024, 64, 10_000, 20_000, 32, [], false]);
  });

  it('accepts the defaults and the edges', () => {
    expect(resolveOptions({}).transports).toEqual(['websocket', 'long-polling', 'callback-polling']);
    expect(resolveOptions({ maxSessionsPerBrowser: -1, timeout: 0, maxQueue: 1 }).maxQueue).toBe(1);
  });
});
