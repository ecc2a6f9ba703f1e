// A FIFO concurrency limiter for zlib jobs. Node runs zlib work on the libuv thread pool (4 threads by
// default); thousands of connections compressing at once would queue there anyway, each holding buffers, and
// starve fs/dns work that shares the pool. Bounding the jobs in flight keeps memory flat under bursts, and
// FIFO order keeps one connection's jobs in the order it submitted them.

/** A job receives `done`, which it must call once when its zlib work is over (extra calls are ignored). */
export type ZlibJob = (done: () => void) => void;

export class ZlibLimiter {
  readonly concurrency: number;
  #running = 0;
  // A queue with a moving head: shift() on a large array is O(n).
  #queue: Array<ZlibJob | undefined> = [];
  #head = 0;
  #draining = false;

  constructor(concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrencyLimit must be an integer >= 1, got ${concurrency}`);
    }
    this.concurrency = concurrency;
  }

  /** Jobs started and not done yet. */
  get running(): number {
    return this.#running;
  }

  /** Jobs waiting for a slot. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Queues a job; it starts at once when a slot is free. */
  add(job: ZlibJob): void {
    this.#queue.push(job);
    this.#drain();
  }

  #drain(): void {
    // A job may call done() synchronously; the loop below then starts the next job instead of recursing.
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#running < this.concurrency && this.#head < this.#queue.length) {
        const job = this.#queue[this.#head]!;
        this.#queue[this.#head] = undefined;
        this.#head++;
        if (this.#head === this.#queue.length) {
          this.#queue.length = 0;
          this.#head = 0;
        } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
        this.#running++;
        let called = false;
        const done = (): void => {
          if (called) return;
          called = true;
          this.#running--;
          this.#drain();
        };
        try {
          job(done);
        } catch (err) {
          // A job that throws before handing its work to zlib must not hold its slot forever.
          done();
          throw err;
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}

const shared = new Map<number, ZlibLimiter>();

/**
 * The process-wide limiter for a concurrency value: every PerMessageDeflate configured with the same
 * `concurrencyLimit` shares one bound, across all servers and clients of the process.
 */
export function sharedZlibLimiter(concurrency: number): ZlibLimiter {
  let limiter = shared.get(concurrency);
  if (!limiter) {
    limiter = new ZlibLimiter(concurrency);
    shared.set(concurrency, limiter);
  }
  return limiter;
}
