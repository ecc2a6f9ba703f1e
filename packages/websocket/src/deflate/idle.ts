// Release of idle zlib streams (see codec.ts for the memory this saves): one shared, unref'd interval per
// idleTimeout value sweeps every watched side, instead of a timer per connection.

/** What the sweeper sees of one direction of a connection (codec.ts's ZlibSide). */
export interface Sweepable {
  /** Set on each use; the sweeper clears it. */
  touched: boolean;
  readonly busy: boolean;
  readonly midMessage: boolean;
  /** Releases the zlib stream, keeping what a recreated one needs. */
  releaseIdle(): void;
}

/** Sweeps idle sides for one idleTimeout value, with a single unref'd interval. */
export class IdleSweeper {
  readonly #interval: number;
  readonly #sides = new Set<Sweepable>();
  #timer: NodeJS.Timeout | null = null;

  constructor(interval: number) {
    this.#interval = interval;
  }

  watch(side: Sweepable): void {
    this.#sides.add(side);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sweep(), this.#interval);
      this.#timer.unref();
    }
  }

  unwatch(side: Sweepable): void {
    this.#sides.delete(side);
    if (this.#sides.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #sweep(): void {
    // A clock algorithm: a side idle at two consecutive ticks has been idle for at least one interval.
    for (const side of this.#sides) {
      if (side.touched || side.busy || side.midMessage) side.touched = false;
      else side.releaseIdle();
    }
  }
}

const sweepers = new Map<number, IdleSweeper>();
export function sweeperFor(idleTimeout: number): IdleSweeper {
  let sweeper = sweepers.get(idleTimeout);
  if (!sweeper) {
    sweeper = new IdleSweeper(idleTimeout);
    sweepers.set(idleTimeout, sweeper);
  }
  return sweeper;
}
