// Retry policy as its own object (as Faye separates its scheduler): grows by `increment` per failure up
// to `max`, plus random jitter so a fleet of clients does not reconnect in lock-step after an outage.

export interface BackoffOptions {
  increment: number;
  max: number;
  jitter: number;
  random?: () => number;
}

export class Backoff {
  readonly #opts: BackoffOptions;
  #current = 0;

  constructor(opts: BackoffOptions) {
    this.#opts = opts;
  }

  /** The base delay of the last failure, without jitter. */
  get current(): number {
    return this.#current;
  }

  /** Records one more failure and returns the delay to wait before the next attempt. */
  next(): number {
    this.#current = Math.min(this.#opts.max, this.#current + this.#opts.increment);
    const random = this.#opts.random ?? Math.random;
    return Math.round(this.#current * (1 + this.#opts.jitter * random()));
  }

  reset(): void {
    this.#current = 0;
  }
}
