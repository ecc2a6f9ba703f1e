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

  /**
   * Runs `fn` after `ms`. 0 or less yields one macrotask without a timer: setImmediate in Node, a
   * MessageChannel message in browsers (not clamped in background tabs, unlike setTimeout(0)). A macrotask,
   * not a microtask, so a server that answers every connect at once cannot starve I/O and timers.
   */
  schedule(fn: () => void, ms: number): () => void {
    if (ms <= 0) {
      let cancelled = false;
      yieldMacrotask(() => {
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

let channel: MessageChannel | null = null;
const channelQueue: (() => void)[] = [];

function yieldMacrotask(fn: () => void): void {
  if (typeof setImmediate === 'function') {
    setImmediate(fn);
    return;
  }
  if (typeof MessageChannel === 'function') {
    if (channel === null) {
      channel = new MessageChannel();
      channel.port1.onmessage = () => channelQueue.shift()?.();
    }
    channelQueue.push(fn);
    channel.port2.postMessage(null);
    return;
  }
  setTimeout(fn, 0);
}
