// Backpressure on incoming WebSocket frames. Frames of one socket are processed in order, one after the
// other; while a slow async hook (security policy, extension) holds one up, later frames wait. Past
// `maxPending` waiting frames the socket is paused, so TCP pushes back on the sender instead of the
// server parking its data in memory (DESIGN.md "Bounded everything"); it resumes once half have been
// processed. Pure bookkeeping: the caller supplies what to pause and resume (the socket itself, so no
// closures are made per connection).

/** What a ReadGate pauses and resumes (a Node stream fits). */
export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

export class ReadGate {
  readonly #maxPending: number;
  readonly #target: Pausable;
  #pending = 0;
  #paused = false;

  constructor(maxPending: number, target: Pausable) {
    this.#maxPending = maxPending;
    this.#target = target;
  }

  get pending(): number {
    return this.#pending;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** A frame arrived and waits for processing. */
  add(): void {
    this.#pending++;
    if (!this.#paused && this.#pending > this.#maxPending) {
      this.#paused = true;
      this.#target.pause();
    }
  }

  /** A frame was processed. */
  done(): void {
    this.#pending--;
    if (this.#paused && this.#pending <= this.#maxPending >> 1) {
      this.#paused = false;
      this.#target.resume();
    }
  }
}
