import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HistoryRing } from '../../src/deflate/history.js';

/** The reference: everything pushed, last `capacity` bytes. */
function reference(pushes: Uint8Array[], capacity: number): Buffer {
  const all = Buffer.concat(pushes);
  return all.subarray(Math.max(0, all.length - capacity));
}

describe('HistoryRing', () => {
  it('refuses a capacity below 1', () => {
    expect(() => new HistoryRing(0)).toThrow(RangeError);
    expect(() => new HistoryRing(1.5)).toThrow(RangeError);
  });

  it('holds nothing and allocates nothing until the first push', () => {
    const ring = new HistoryRing(32768);
    expect(ring.size).toBe(0);
    expect(ring.allocated).toBe(0);
    expect(ring.toBuffer()).toHaveLength(0);
    ring.push(Buffer.alloc(0));
    expect(ring.allocated).toBe(0);
  });

  it('grows by doubling from 256 bytes, never past capacity', () => {
    const ring = new HistoryRing(4096);
    ring.push(Buffer.alloc(10, 1));
    expect(ring.allocated).toBe(256);
    ring.push(Buffer.alloc(300, 2));
    expect(ring.allocated).toBe(512);
    expect(ring.size).toBe(310);
    ring.push(Buffer.alloc(3000, 3));
    expect(ring.allocated).toBe(3310);
    ring.push(Buffer.alloc(3000, 4));
    expect(ring.allocated).toBe(4096);
    expect(ring.size).toBe(4096);
    const out = ring.toBuffer();
    expect(out.subarray(0, 1096).every((b) => b === 3)).toBe(true);
    expect(out.subarray(1096).every((b) => b === 4)).toBe(true);
  });

  it('keeps the last bytes of a push larger than capacity', () => {
    const ring = new HistoryRing(5);
    ring.push(Buffer.from('ab'));
    ring.push(Buffer.from('0123456789'));
    expect(ring.toBuffer().toString()).toBe('56789');
    ring.push(Buffer.from('xy'));
    expect(ring.toBuffer().toString()).toBe('789xy');
  });

  it('starts from an initial content', () => {
    const ring = new HistoryRing(8, Buffer.from('hello'));
    ring.push(Buffer.from('world'));
    expect(ring.toBuffer().toString()).toBe('lloworld');
  });

  it('matches the reference for any sequence of pushes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.uint8Array({ maxLength: 2500 }), { maxLength: 30 }),
        (capacity, pushes) => {
          const ring = new HistoryRing(capacity);
          for (const p of pushes) ring.push(p);
          const expected = reference(pushes, capacity);
          expect(ring.size).toBe(expected.length);
          expect(ring.toBuffer().equals(expected)).toBe(true);
          expect(ring.allocated).toBeLessThanOrEqual(capacity);
        },
      ),
      { numRuns: 300, seed: 7692 },
    );
  });
});
