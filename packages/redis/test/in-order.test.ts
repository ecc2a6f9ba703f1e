// InOrder (src/in-order.ts): the second steps start in the order the calls began, whatever order their
// first steps finish in; a failing first step does not block the calls after it.

import { describe, expect, it } from 'vitest';
import { InOrder } from '../src/in-order.js';

function deferred<T>() {
  let resolve: (v: T) => void = () => undefined;
  let reject: (e: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('InOrder', () => {
  it('starts second steps in call order when the first steps finish in reverse', async () => {
    const order = new InOrder();
    const started: number[] = [];
    const firsts = [deferred<number>(), deferred<number>(), deferred<number>()];
    const runs = firsts.map((d, i) =>
      order.run(
        () => d.promise,
        async (v) => {
          started.push(i);
          return v * 10;
        },
      ),
    );
    firsts[2]?.resolve(3);
    firsts[1]?.resolve(2);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([]); // call 0's first step is still running
    firsts[0]?.resolve(1);
    expect(await Promise.all(runs)).toEqual([10, 20, 30]);
    expect(started).toEqual([0, 1, 2]);
  });

  it('a first step that fails rejects its call and lets the next ones through', async () => {
    const order = new InOrder();
    const started: number[] = [];
    const a = order.run(
      () => Promise.reject(new Error('read failed')),
      async () => {
        started.push(0);
      },
    );
    const b = order.run(
      () => Promise.resolve(1),
      async () => {
        started.push(1);
      },
    );
    await expect(a).rejects.toThrow('read failed');
    await b;
    expect(started).toEqual([1]);
  });
});
