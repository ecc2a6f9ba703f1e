// Limit options (options.ts), through the constructors that read them. The rule for configuration errors:
// a value of the wrong type is a TypeError, a value of the right type out of range a RangeError.
import { describe, expect, it } from 'vitest';
import { DEFAULTS, resolveLimits } from '../src/options.js';
import { WebSocketServer } from '../src/server.js';
import { WebSocket } from '../src/websocket.js';

const LIMITS = [
  'maxPayload',
  'maxFragments',
  'maxBufferedChunks',
  'closeTimeout',
  'maxBufferedAmount',
  'backpressureTimeout',
  'fragmentTimeout',
] as const;

describe('resolveLimits', () => {
  it('defaults every limit and keeps the values given', () => {
    expect(resolveLimits({})).toEqual({
      maxPayload: DEFAULTS.maxPayload,
      maxFragments: DEFAULTS.maxFragments,
      maxBufferedChunks: DEFAULTS.maxBufferedChunks,
      closeTimeout: DEFAULTS.closeTimeout,
      maxBufferedAmount: 4 * 1024 * 1024,
      backpressureTimeout: 30_000,
      fragmentTimeout: 30_000,
    });
    expect(resolveLimits({ maxPayload: 1, closeTimeout: 0.5 })).toMatchObject({
      maxPayload: 1,
      closeTimeout: 0.5,
    });
  });

  for (const name of LIMITS) {
    it(`${name}: a non-number is a TypeError, a number out of range a RangeError`, () => {
      for (const bad of ['1024', null, true, {}]) {
        expect(() => resolveLimits({ [name]: bad as unknown as number })).toThrow(TypeError);
      }
      for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => resolveLimits({ [name]: bad })).toThrow(RangeError);
      }
      expect(() => resolveLimits({ [name]: 1 })).not.toThrow();
    });
  }
});

describe('constructors apply the rule', () => {
  it('WebSocketServer: limits, handshakeTimeout, maxHeaderSize, pingInterval', () => {
    for (const name of [
      'maxPayload',
      'handshakeTimeout',
      'maxHeaderSize',
      'pingInterval',
      'maxConnections',
    ] as const) {
      expect(() => new WebSocketServer({ noServer: true, [name]: '5' as unknown as number })).toThrow(
        TypeError,
      );
      expect(() => new WebSocketServer({ noServer: true, [name]: 0 })).toThrow(RangeError);
    }
  });

  it('WebSocketServer: conflicting options are a TypeError', () => {
    expect(() => new WebSocketServer({})).toThrow(TypeError);
    expect(() => new WebSocketServer({ noServer: true, clientTracking: false, pingInterval: 10 })).toThrow(
      TypeError,
    );
  });

  it('WebSocket client: limits and handshakeTimeout', () => {
    expect(() => new WebSocket('ws://127.0.0.1:1/', { maxPayload: '1' as unknown as number })).toThrow(
      TypeError,
    );
    expect(() => new WebSocket('ws://127.0.0.1:1/', { maxPayload: -1 })).toThrow(RangeError);
    expect(() => new WebSocket('ws://127.0.0.1:1/', { handshakeTimeout: {} as unknown as number })).toThrow(
      TypeError,
    );
    expect(() => new WebSocket('ws://127.0.0.1:1/', { handshakeTimeout: 0 })).toThrow(RangeError);
  });
});
