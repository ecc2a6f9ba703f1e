import { describe, expect, it } from 'vitest';
import {
  effectiveAdvice,
  HANDSHAKE_ADVICE,
  handshakeAdvice,
  multipleClientsAdvice,
  NONE_ADVICE,
  retryAdvice,
  sameAdvice,
  shortPollingAdvice,
} from '../src/advice.js';

describe('advice', () => {
  it('standard advices', () => {
    expect(HANDSHAKE_ADVICE).toEqual({ reconnect: 'handshake', interval: 0 });
    expect(NONE_ADVICE).toEqual({ reconnect: 'none' });
    expect(Object.isFrozen(HANDSHAKE_ADVICE)).toBe(true);
    const fresh = handshakeAdvice();
    expect(fresh).toEqual(HANDSHAKE_ADVICE);
    expect(fresh).not.toBe(HANDSHAKE_ADVICE);
    expect(retryAdvice(0, 30000)).toEqual({ reconnect: 'retry', interval: 0, timeout: 30000 });
    expect(shortPollingAdvice(2000)).toEqual({ reconnect: 'retry', interval: 2000, timeout: 0 });
    expect(multipleClientsAdvice(2000)).toEqual({
      'multiple-clients': true,
      reconnect: 'retry',
      interval: 2000,
    });
  });

  it('effectiveAdvice overlays the per-transport sub-object (Bayeux 3.6)', () => {
    const advice = {
      reconnect: 'retry' as const,
      interval: 0,
      timeout: 30000,
      'callback-polling': { reconnect: 'handshake', interval: 5 },
    };
    expect(effectiveAdvice(advice, 'long-polling')).toEqual({
      reconnect: 'retry',
      interval: 0,
      timeout: 30000,
    });
    expect(effectiveAdvice(advice, 'callback-polling')).toEqual({
      reconnect: 'handshake',
      interval: 5,
      timeout: 30000,
    });
  });

  it('effectiveAdvice drops ill-typed fields', () => {
    expect(
      effectiveAdvice({
        reconnect: 'bogus' as never,
        interval: '5' as never,
        timeout: Number.NaN,
        hosts: [1] as never,
      }),
    ).toEqual({});
    expect(effectiveAdvice(undefined)).toEqual({});
  });

  it('sameAdvice compares the general fields', () => {
    expect(sameAdvice(retryAdvice(0, 1), retryAdvice(0, 1))).toBe(true);
    expect(sameAdvice(retryAdvice(0, 1), retryAdvice(0, 2))).toBe(false);
    expect(sameAdvice(undefined, retryAdvice(0, 2))).toBe(false);
    expect(sameAdvice(undefined, undefined)).toBe(true);
    expect(sameAdvice({ hosts: ['a'] }, { hosts: ['a'] })).toBe(true);
    expect(sameAdvice({ hosts: ['a'] }, { hosts: ['b'] })).toBe(false);
  });
});
