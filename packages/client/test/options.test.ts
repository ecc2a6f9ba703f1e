// Configuration is checked where the client is built, with one rule (issue 14): a wrong type is a
// TypeError, the right type out of range a RangeError, and the message names the option.

import { describe, expect, it } from 'vitest';
import { Client } from '../src/client.js';
import { ClientError } from '../src/errors.js';
import { ackExtension } from '../src/ext/ack.js';
import { timesyncExtension } from '../src/ext/timesync.js';
import { DEFAULT_TRANSPORTS, fallbackFor, restoreAfter, TRANSPORTS, wireType } from '../src/negotiate.js';
import { type ClientOptions, resolveOptions } from '../src/options.js';

const URL = 'http://127.0.0.1:9/bayeux';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('client options', () => {
  it('defaults: sessionTimeout 10 s, transports websocket, long-polling, callback-polling', () => {
    const opts = resolveOptions();
    expect(opts.sessionTimeout).toBe(10_000);
    expect(opts.transports).toEqual(['websocket', 'long-polling', 'callback-polling']);
    expect(DEFAULT_TRANSPORTS).toEqual([
      TRANSPORTS.websocket,
      TRANSPORTS.longPolling,
      TRANSPORTS.callbackPolling,
    ]);
  });

  it.each<[keyof ClientOptions, number]>([
    ['maxNetworkDelay', 1],
    ['connectTimeout', 1],
    ['sessionTimeout', 1],
    ['publishTimeout', 1],
    ['maxURILength', 1],
    ['backoffIncrement', 0],
    ['maxBackoff', 0],
    ['shortPollingInterval', 0],
    ['maxQueuedPublishes', 0],
  ])('%s accepts its minimum %d and refuses one less with a RangeError naming it', (name, min) => {
    expect(resolveOptions({ [name]: min })[name]).toBe(min);
    const err = thrown(() => new Client(URL, { [name]: min - 1 }));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe(
      `${name}: expected ${name === 'maxURILength' || name === 'maxQueuedPublishes' ? 'an integer' : 'a number'} >= ${min}, got ${min - 1}`,
    );
  });

  it('backoffJitter is a fraction: 0 and 1 are accepted, -0.01 and 1.01 are RangeErrors', () => {
    expect(resolveOptions({ backoffJitter: 0 }).backoffJitter).toBe(0);
    expect(resolveOptions({ backoffJitter: 1 }).backoffJitter).toBe(1);
    expect(thrown(() => resolveOptions({ backoffJitter: -0.01 })).message).toBe(
      'backoffJitter: expected a number from 0 to 1, got -0.01',
    );
    expect(thrown(() => resolveOptions({ backoffJitter: 1.01 }))).toBeInstanceOf(RangeError);
  });

  it('integer options refuse fractions with a RangeError', () => {
    expect(thrown(() => resolveOptions({ maxQueuedPublishes: 1.5 }))).toBeInstanceOf(RangeError);
  });

  it.each<[string, ClientOptions]>([
    ['sessionTimeout', { sessionTimeout: '10' as unknown as number }],
    ['sessionTimeout', { sessionTimeout: Number.NaN }],
    ['stickyReconnect', { stickyReconnect: 'yes' as unknown as boolean }],
    ['fetch', { fetch: {} as unknown as typeof fetch }],
    ['headers', { headers: 'x' as unknown as Record<string, string> }],
    ['headers.x', { headers: { x: 1 } as unknown as Record<string, string> }],
    ['transports', { transports: 'websocket' as unknown as ClientOptions['transports'] }],
    ['transports[0]', { transports: [1] as unknown as ClientOptions['transports'] }],
    ['credentials', { credentials: 1 as unknown as RequestCredentials }],
  ])('a wrong type for %s is a TypeError naming it', (name, options) => {
    const err = thrown(() => resolveOptions(options));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message.startsWith(`${name}: `)).toBe(true);
  });

  it('an unknown transport name or credentials mode is a RangeError; an empty list too', () => {
    const unknown = thrown(() => resolveOptions({ transports: ['long-poling' as 'long-polling'] }));
    expect(unknown).toBeInstanceOf(RangeError);
    expect(unknown.message).toBe(
      'transports[0]: expected one of long-polling, callback-polling, websocket, short-polling, got "long-poling"',
    );
    expect(thrown(() => resolveOptions({ transports: [] }))).toBeInstanceOf(RangeError);
    expect(thrown(() => resolveOptions({ credentials: 'all' as RequestCredentials }))).toBeInstanceOf(
      RangeError,
    );
  });

  it('extension options follow the same rule', () => {
    expect(thrown(() => ackExtension({ dedupWindow: -1 }))).toBeInstanceOf(RangeError);
    expect(thrown(() => ackExtension({ dedupWindow: '1' as unknown as number }))).toBeInstanceOf(TypeError);
    expect(thrown(() => timesyncExtension({ maxSamples: 0 }))).toBeInstanceOf(RangeError);
    expect(timesyncExtension({ maxSamples: 1 }).getNetworkLag()).toBe(0);
  });
});

describe('ClientError', () => {
  it('takes its details as an options object', () => {
    const cause = new Error('low level');
    const err = new ClientError('CLIENT_HTTP_STATUS', 'HTTP 500', {
      cause,
      status: 500,
      unsent: true,
      messageIds: ['1'],
    });
    expect(err).toMatchObject({
      code: 'CLIENT_HTTP_STATUS',
      status: 500,
      unsent: true,
      messageIds: ['1'],
      cause,
    });
    expect(new ClientError('CLIENT_TIMEOUT', 't')).toMatchObject({
      unsent: false,
      status: undefined,
      cause: undefined,
    });
  });
});

describe('transport choice (negotiate.ts)', () => {
  const base = { code: 'CLIENT_WEBSOCKET' as const, worked: false, sticky: true };

  it('short-polling is long-polling on the wire', () => {
    expect(wireType('short-polling')).toBe('long-polling');
  });

  it('a websocket that never worked is dropped unless it is the last transport; one that worked is kept', () => {
    const enabled = ['websocket', 'long-polling'] as const;
    expect(fallbackFor({ ...base, transport: 'websocket', enabled })).toEqual(['websocket']);
    expect(fallbackFor({ ...base, transport: 'websocket', enabled: ['websocket'] })).toEqual([]);
    expect(fallbackFor({ ...base, transport: 'websocket', worked: true, enabled })).toEqual([]);
    expect(fallbackFor({ ...base, transport: 'websocket', worked: true, sticky: false, enabled })).toEqual([
      'websocket',
    ]);
  });

  it('a CORS failure of long-polling that never worked falls back to callback-polling, if enabled', () => {
    const enabled = ['long-polling', 'short-polling', 'callback-polling'] as const;
    const cors = { ...base, code: 'CLIENT_CORS' as const, transport: 'long-polling' as const };
    expect(fallbackFor({ ...cors, enabled })).toEqual(['long-polling', 'short-polling']);
    expect(fallbackFor({ ...cors, enabled: ['long-polling'] })).toEqual([]);
    expect(fallbackFor({ ...cors, worked: true, enabled })).toEqual([]);
    // Any other failure of long-polling (server down, HTTP 500) is retried, not a reason to switch.
    expect(fallbackFor({ ...cors, code: 'CLIENT_CONNECTION_REFUSED', enabled })).toEqual([]);
  });

  it('callback-polling that fails before it ever worked gives back what a CORS-looking failure dropped', () => {
    const failure = {
      ...base,
      code: 'CLIENT_NETWORK' as const,
      transport: 'callback-polling' as const,
      enabled: ['callback-polling'] as const,
    };
    expect(restoreAfter(failure, ['long-polling'])).toEqual(['long-polling']);
    expect(restoreAfter({ ...failure, worked: true }, ['long-polling'])).toEqual([]);
    expect(restoreAfter({ ...failure, transport: 'websocket' }, ['long-polling'])).toEqual([]);
  });
});
