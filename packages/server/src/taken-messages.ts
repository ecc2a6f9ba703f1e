// What the /meta/connect replies of ONE HTTP response took from the engine's queues, until the response is
// written. A reply is built asynchronously (the take, the delivery hooks, the outgoing extensions, the
// engine ping: real I/O with Redis), and the response may close meanwhile: the messages taken for it can
// then never arrive. They go back to the HEAD of their client's queue (Engine.requeue), in order, so the
// next connect carries them (issue 13: they were lost). One per request, and empty in the common case.

import type { Core } from './core.js';

/** One client's take: the messages, oldest first. */
interface Take {
  readonly clientId: string;
  readonly messages: readonly string[];
}

/** Where a connect reply records what it took from a queue until it is written (BatchContext.taken). */
export interface TakeRecorder {
  record(clientId: string, messages: readonly string[]): void;
}

export class TakenMessages implements TakeRecorder {
  /** Usually one take (one connect per request); undefined until a connect reply takes something. */
  #takes: Take | Take[] | undefined;

  /** A connect reply of this response took `messages` from the queue of `clientId`. */
  record(clientId: string, messages: readonly string[]): void {
    if (messages.length === 0) return;
    // A copy: the caller goes on to append the connect reply to its array.
    const take = { clientId, messages: messages.slice() };
    const current = this.#takes;
    if (current === undefined) this.#takes = take;
    else if (Array.isArray(current)) current.push(take);
    else this.#takes = [current, take];
  }

  /** The response could not be written: every take goes back to the head of its client's queue. */
  putBack(core: Core): void {
    const takes = this.#takes;
    this.#takes = undefined;
    if (takes === undefined) return;
    // The latest take first: each requeue puts its messages AHEAD of what is queued, so the older take ends
    // up in front (a request carries one connect, so this is about a batch with two, at most).
    const list = Array.isArray(takes) ? [...takes].reverse() : [takes];
    for (const { clientId, messages } of list) {
      core.engine.requeue(clientId, messages as string[]).catch((err: unknown) => core.reportError(err));
    }
  }
}
