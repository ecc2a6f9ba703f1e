// Sliding-window rate limits per sender (a chatter, a drawer): at most `limit` events in `windowMs`.
// Memory is bounded by the limit per key, and keys are forgotten with their session.

export class RateLimiter {
  readonly #events = new Map<string, number[]>();
  readonly limit: number;
  readonly windowMs: number;

  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Records an event for `key` and returns true, or false (nothing recorded) when it is over the limit. */
  take(key: string, now = Date.now()): boolean {
    let times = this.#events.get(key);
    if (times === undefined) this.#events.set(key, (times = []));
    while (times.length > 0 && (times[0] ?? 0) <= now - this.windowMs) times.shift();
    if (times.length >= this.limit) return false;
    times.push(now);
    return true;
  }

  forget(key: string): void {
    this.#events.delete(key);
  }

  get size(): number {
    return this.#events.size;
  }
}
