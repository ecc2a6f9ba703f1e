// Sliding-window rate limits per sender (a chatter, a drawer, an uploading address): at most `limit` events
// in `windowMs`. Memory is bounded: `limit` times per key, and at most `maxKeys` keys (the oldest key is
// dropped first); keys are also forgotten with their session.

export class RateLimiter {
  readonly #events = new Map<string, number[]>();
  readonly limit: number;
  readonly windowMs: number;
  readonly maxKeys: number;

  constructor(limit: number, windowMs: number, maxKeys = 100_000) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.maxKeys = maxKeys;
  }

  /** Records an event for `key` and returns true, or false (nothing recorded) when it is over the limit. */
  take(key: string, now = Date.now()): boolean {
    let times = this.#events.get(key);
    if (times === undefined) {
      if (this.#events.size >= this.maxKeys) {
        const oldest = this.#events.keys().next().value;
        if (oldest !== undefined) this.#events.delete(oldest);
      }
      this.#events.set(key, (times = []));
    }
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
