// The HoldSignal a transport gives a held /meta/connect: fired once when the request or socket goes away,
// so the hold is released as 'replaced' and its messages stay queued (hold.ts). Lighter than an
// AbortController (no EventTarget, no listener records): there is one per held long-poll and one per
// connected websocket for as long as the client stays connected.

/** A listener object (DOM EventListener style): what a hold registers on its HoldSignal. */
export interface HoldListener {
  handleEvent(): void;
}

/**
 * What tells a hold that its transport went away: an AbortSignal (HTTP requests), or the websocket
 * transport's own per-socket object (cheaper than an AbortController per connected client).
 */
export interface HoldSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: HoldListener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: HoldListener): void;
}

export class CloseSignal implements HoldSignal {
  /** Set once fired; later listeners are never called (the caller checks `aborted` first, as with AbortSignal). */
  aborted = false;
  /**
   * The one listener (a client holds one connect at a time: the common case, and every idle client's), or
   * a Set once there are more: a Set costs about 180 bytes even for one entry, paid per idle client.
   */
  #listeners: HoldListener | Set<HoldListener> | undefined;

  // Every listener is called at most once (when fired), so `once` needs no bookkeeping.
  addEventListener(_type: 'abort', listener: HoldListener): void {
    if (this.aborted) return;
    const current = this.#listeners;
    if (current === undefined) this.#listeners = listener;
    else if (current instanceof Set) current.add(listener);
    else if (current !== listener) this.#listeners = new Set([current, listener]);
  }

  removeEventListener(_type: 'abort', listener: HoldListener): void {
    const current = this.#listeners;
    if (current === listener) this.#listeners = undefined;
    else if (current instanceof Set) current.delete(listener);
  }

  /** Fires once: every listener registered so far, in order. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners === undefined) return;
    if (listeners instanceof Set) for (const listener of listeners) listener.handleEvent();
    else listeners.handleEvent();
  }
}
