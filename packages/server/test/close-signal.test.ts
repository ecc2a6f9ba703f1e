// CloseSignal: the HoldSignal of a held connect; fires each listener once, removed listeners never.
import { describe, expect, it } from 'vitest';
import { CloseSignal } from '../src/transports/close-signal.js';

describe('CloseSignal', () => {
  it('fires every registered listener once, in order; removed or late listeners are not called', () => {
    const signal = new CloseSignal();
    const calls: string[] = [];
    const a = { handleEvent: () => calls.push('a') };
    const b = { handleEvent: () => calls.push('b') };
    const c = { handleEvent: () => calls.push('c') };
    signal.addEventListener('abort', a);
    signal.addEventListener('abort', b);
    signal.addEventListener('abort', c);
    signal.removeEventListener('abort', b);
    expect(signal.aborted).toBe(false);
    signal.abort();
    expect(signal.aborted).toBe(true);
    expect(calls).toEqual(['a', 'c']);
    signal.abort();
    signal.addEventListener('abort', b);
    expect(calls).toEqual(['a', 'c']);
  });

  it('a listener may remove itself (as a released hold does) while the signal fires', () => {
    const signal = new CloseSignal();
    const calls: string[] = [];
    const self = {
      handleEvent: () => {
        calls.push('self');
        signal.removeEventListener('abort', self);
      },
    };
    signal.addEventListener('abort', self);
    signal.addEventListener('abort', { handleEvent: () => calls.push('next') });
    signal.abort();
    expect(calls).toEqual(['self', 'next']);
  });

  it('one listener, the same listener twice, and removal back to none behave as with several', () => {
    const signal = new CloseSignal();
    const calls: string[] = [];
    const a = { handleEvent: () => calls.push('a') };
    const b = { handleEvent: () => calls.push('b') };
    signal.addEventListener('abort', a);
    signal.addEventListener('abort', a); // registered once, as with a Set / EventTarget
    signal.removeEventListener('abort', b); // not registered: nothing changes
    signal.removeEventListener('abort', a);
    signal.addEventListener('abort', b);
    signal.addEventListener('abort', a);
    signal.removeEventListener('abort', b);
    signal.abort();
    expect(calls).toEqual(['a']);
    const single = new CloseSignal();
    single.addEventListener('abort', b);
    single.abort();
    single.abort();
    expect(calls).toEqual(['a', 'b']);
  });
});
