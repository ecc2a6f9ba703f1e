// Timers for the connect loop. Background browser tabs clamp setTimeout (to 1 s, or 1 min when
// intensively throttled), the failure behind CometD issue #699. So: zero delays never use a timer (the
// long poll itself is the heartbeat and the next connect goes out as soon as the previous returns), and
// every timer measures its real delay with Date.now() so lateness is observable (`maxDrift`).

export class Scheduler {
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #maxDrift = 0;

  /** Largest lateness seen in ms: how much the host throttled our timers. */
  get maxDrift(): number {
    return this.#maxDrift;
  }

  /** Runs `fn` after `ms`; 0 or less runs it on the microtask queue (no timer to throttle). */
  schedule(fn: () => void, ms: number): () => void {
    if (ms <= 0) {
      let cancelled = false;
      queueMicrotask(() => {
        if (!cancelled) fn();
      });
      return () => {
        cancelled = true;
      };
    }
    const due = Date.now() + ms;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#maxDrift = Math.max(this.#maxDrift, Date.now() - due);
      fn();
    }, ms);
    this.#timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.#timers.delete(timer);
    };
  }

  cancelAll(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
