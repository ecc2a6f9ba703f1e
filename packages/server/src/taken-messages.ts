// What the /meta/connect replies of ONE HTTP response took from the engine's queues, until the response is
// written. A reply is built asynchronously (the take, the delivery hooks, the outgoing extensions, the
// engine ping: real I/O with Redis), and the response may close meanwhile: the messages taken for it can
// then never arrive. They go back to the HEAD of their client's queue (Engine.requeue), in order, so the
// next connect carries them (issue 13: they were lost). Kept by the request's own record (HttpExchange) in
// one field, empty in the common case: no object of its own per request.

import type { Core } from './core.js';

/** Where a connect reply says what it took (BatchContext.taken). */
export interface TakeRecorder {
  /** A connect reply of this response took `messages` from the queue of `clientId`. */
  record(clientId: string, messages: readonly string[]): void;
}

/** One client's take: the messages, oldest first. */
interface Take {
  readonly clientId: string;
  readonly messages: readonly string[];
}

/** Usually one take (one connect per request); undefined until a connect reply takes something. */
export type Takes = Take | Take[] | undefined;

/** `takes` with one more (a copy of `messages`: the caller goes on to append the connect reply to it). */
export function addTake(takes: Takes, clientId: string, messages: readonly string[]): Takes {
  if (messages.length === 0) return takes;
  const take = { clientId, messages: messages.slice() };
  if (takes === undefined) return take;
  if (Array.isArray(takes)) {
    takes.push(take);
    return takes;
  }
  return [takes, take];
}

/** The response could not be written: every take goes back to the head of its client's queue. */
export function putBackTakes(core: Core, takes: Takes): void {
  if (takes === undefined) return;
  // The latest take first: each requeue puts its messages AHEAD of what is queued, so the older take ends
  // up in front (a request carries one connect, so this is about a batch with two, at most).
  const list = Array.isArray(takes) ? [...takes].reverse() : [takes];
  for (const { clientId, messages } of list) {
    core.engine.requeue(clientId, messages as string[]).catch((err: unknown) => core.reportError(err));
  }
}
