import { describe, expect, it } from 'vitest';
import { sharedZlibLimiter, ZlibLimiter } from '../../src/deflate/zlib-limiter.js';

describe('ZlibLimiter', () => {
  it('refuses a concurrency that is not an integer >= 1', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new ZlibLimiter(bad)).toThrow(RangeError);
    }
  });

  it('runs at most `concurrency` jobs at once, then the next in FIFO order', () => {
    const limiter = new ZlibLimiter(2);
    const started: number[] = [];
    const dones: Array<() => void> = [];
    for (let i = 0; i < 5; i++) {
      limiter.add((done) => {
        started.push(i);
        dones[i] = done;
      });
    }
    expect(started).toEqual([0, 1]);
    expect(limiter.running).toBe(2);
    expect(limiter.pending).toBe(3);

    dones[1]!();
    expect(started).toEqual([0, 1, 2]);
    dones[0]!();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(limiter.running).toBe(2);
    expect(limiter.pending).toBe(1);

    // A second call of the same done() must not free a second slot.
    dones[0]!();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(limiter.running).toBe(2);

    dones[2]!();
    dones[3]!();
    dones[4]!();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(limiter.running).toBe(0);
    expect(limiter.pending).toBe(0);
  });

  it('never exceeds the bound with asynchronous jobs (counted concurrently)', async () => {
    const limiter = new ZlibLimiter(3);
    let active = 0;
    let peak = 0;
    const finished: number[] = [];
    await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) =>
          new Promise<void>((resolve) => {
            limiter.add((done) => {
              active++;
              peak = Math.max(peak, active);
              setImmediate(() => {
                active--;
                finished.push(i);
                done();
                resolve();
              });
            });
          }),
      ),
    );
    expect(peak).toBe(3);
    expect(finished).toHaveLength(50);
    expect(limiter.running).toBe(0);
  });

  it('handles jobs that finish synchronously without recursion', () => {
    const limiter = new ZlibLimiter(1);
    let ran = 0;
    for (let i = 0; i < 100_000; i++) {
      limiter.add((done) => {
        ran++;
        done();
      });
    }
    expect(ran).toBe(100_000);
    expect(limiter.running).toBe(0);
    expect(limiter.pending).toBe(0);
  });

  it('keeps FIFO order across a long queue (moving head compaction)', () => {
    const limiter = new ZlibLimiter(1);
    const order: number[] = [];
    let release: (() => void) | undefined;
    limiter.add((done) => {
      release = done;
    });
    for (let i = 0; i < 5000; i++) {
      limiter.add((done) => {
        order.push(i);
        done();
      });
    }
    expect(limiter.pending).toBe(5000);
    release!();
    expect(order).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('frees the slot of a job that throws', () => {
    const limiter = new ZlibLimiter(1);
    expect(() =>
      limiter.add(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(limiter.running).toBe(0);
    let ran = false;
    limiter.add((done) => {
      ran = true;
      done();
    });
    expect(ran).toBe(true);
  });

  it('shares one limiter per concurrency value', () => {
    expect(sharedZlibLimiter(7)).toBe(sharedZlibLimiter(7));
    expect(sharedZlibLimiter(7)).not.toBe(sharedZlibLimiter(8));
    expect(sharedZlibLimiter(7).concurrency).toBe(7);
  });
});
