// Live messages held for a raw chatter while its welcome is made (subscribed, the history read not yet
// back): they go out after the welcome, in order. Bounded by maxRawJoinBacklog: dropping some would be a
// silent gap, so one more than the limit tells the caller to close the socket (1013, try again later).

export class JoinBacklog<T> {
  readonly #max: number;
  #held: T[] | null = [];

  constructor(maxRawJoinBacklog: number) {
    this.#max = maxRawJoinBacklog;
  }

  /** True while the welcome has not gone: a live message must be held, not sent. */
  get holding(): boolean {
    return this.#held !== null;
  }

  /** Holds one message; false when it is one more than the limit (the caller closes the socket). */
  hold(message: T): boolean {
    if (this.#held === null) throw new Error('JoinBacklog.hold after release');
    this.#held.push(message);
    return this.#held.length <= this.#max;
  }

  /** The held messages, oldest first; from now on nothing is held. */
  release(): T[] {
    const held = this.#held ?? [];
    this.#held = null;
    return held;
  }
}
