// HistoryStore's engine-wide byte bound (memory engine maxHistoryBytes) charges each stream its channel
// name: streams created for long channel names (a subscribe on a history pattern creates one) are bounded
// in bytes, not only in count.

import { describe, expect, it } from 'vitest';
import { HistoryStore, STREAM_OVERHEAD } from '../src/engine/history-store.js';

const limits = { size: 10, ttl: 60_000, maxBytes: 1024, maxRecovery: 10 };
const name = (i: number): string => `/room/${String(i).padStart(4, '0')}/${'n'.repeat(10_000)}`;
const cost = STREAM_OVERHEAD + Buffer.byteLength(name(0));

describe('HistoryStore maxBytes and channel names', () => {
  it('keeps two empty streams in exactly two streams of bytes (name included)', () => {
    const store = new HistoryStore(2 * cost);
    store.read(name(1), undefined, limits, 0);
    store.read(name(2), undefined, limits, 0);
    expect(store.channelCount).toBe(2);
    expect(store.bytes).toBe(2 * cost);
  });

  it('one byte less evicts the older stream: the name counts', () => {
    const store = new HistoryStore(2 * cost - 1);
    store.read(name(1), undefined, limits, 0);
    store.read(name(2), undefined, limits, 0);
    expect(store.channelCount).toBe(1);
    expect(store.bytes).toBe(cost);
  });

  it('many long names stay within maxBytes', () => {
    const max = 64 * 1024;
    const store = new HistoryStore(max);
    for (let i = 0; i < 500; i++) store.read(name(i), undefined, limits, 0);
    expect(store.bytes).toBeLessThanOrEqual(max);
    expect(store.channelCount).toBe(Math.floor(max / cost));
  });
});
