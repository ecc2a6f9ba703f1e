// The `sessionTimeout` deadline (issue 7: an operation must not wait forever for a server that is down).
// Operations that cannot go out because the client has no working session (subscribe, publish,
// remoteCall, connect) wait here; each waits at most `timeoutMs` from the moment it started waiting, then
// fails with the error `expired()` builds (CLIENT_NO_SESSION naming the last connection failure).
// Operations leave when they are handed to a transport; one that has to wait again gets a new deadline.
// One timer, for the earliest deadline.

import type { ClientError } from './errors.js';

interface Waiter {
  due: number;
  fail(error: ClientError): void;
}

export class SessionWait {
  readonly #timeoutMs: number;
  readonly #expired: () => ClientError;
  readonly #waiting = new Map<object, Waiter>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerDue = Number.POSITIVE_INFINITY;

  constructor(timeoutMs: number, expired: () => ClientError) {
    this.#timeoutMs = timeoutMs;
    this.#expired = expired;
  }

  get size(): number {
    return this.#waiting.size;
  }

  /** Starts `key`'s wait (a key already waiting keeps its earlier deadline). */
  add(key: object, fail: (error: ClientError) => void): void {
    if (this.#waiting.has(key)) return;
    const due = Date.now() + this.#timeoutMs;
    this.#waiting.set(key, { due, fail });
    if (due < this.#timerDue) this.#arm(due);
  }

  /** `key` no longer waits (sent, settled, or cancelled). */
  delete(key: object): void {
    this.#waiting.delete(key);
    if (this.#waiting.size === 0) this.#disarm();
  }

  clear(): void {
    this.#waiting.clear();
    this.#disarm();
  }

  #arm(due: number): void {
    this.#disarm();
    this.#timerDue = due;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, due - Date.now()));
  }

  #disarm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerDue = Number.POSITIVE_INFINITY;
  }

  #fire(): void {
    this.#timer = null;
    this.#timerDue = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const due: Waiter[] = [];
    for (const [key, waiter] of this.#waiting) {
      if (waiter.due > now) continue;
      this.#waiting.delete(key);
      due.push(waiter);
    }
    let next = Number.POSITIVE_INFINITY;
    for (const waiter of this.#waiting.values()) next = Math.min(next, waiter.due);
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
    if (due.length === 0) return;
    // One error for all that expire together: they waited for the same missing session.
    const error = this.#expired();
    for (const waiter of due) waiter.fail(error);
  }
}
