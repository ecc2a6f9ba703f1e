// How a local session (local-session.ts) receives: it is bound to SocketPush like a WebSocket, and this is
// its "socket". Handlers may be async; their promises are counted, and at `maxPendingHandlers` unsettled
// ones the binding reports itself full, exactly as a WebSocket whose peer stops reading: SocketPush stops
// taking from the client's engine queue and waits for onceDrained, so what is published meanwhile waits in
// the engine under maxQueue / maxQueueBytes / queuePolicy (drop-oldest: `drop` events; disconnect: the
// session is destroyed and comes back). Back-pressure, not loss: nothing is dropped here, and the memory
// held here is at most the rest of one push (maxReplyBytes) plus the pending handlers themselves.

import type { Message } from '@pushwire/bayeux';
import type { PreparedFrame } from '@pushwire/websocket';
import type { SocketBinding } from './socket-push.js';

/** Receives a message published on a channel matching the subscription's pattern. */
export type LocalMessageHandler = (data: unknown, channel: string, message: Message) => void | Promise<void>;

/** What the delivery needs from its session. */
export interface LocalReceiver {
  isClosed(): boolean;
  /** Every handler whose pattern matches `channel`, in subscription order. */
  handlersFor(channel: string): Iterable<LocalMessageHandler>;
  reportError(err: unknown): void;
}

export class LocalDelivery implements SocketBinding {
  readonly #receiver: LocalReceiver;
  readonly #maxPending: number;
  /** Handler promises not yet settled. */
  #pending = 0;
  /** Messages of the current push not yet handed to their handlers (the limit was reached mid-push). */
  #backlog: Message[] = [];
  #next = 0;
  #drained: Array<() => void> = [];

  constructor(receiver: LocalReceiver, maxPendingHandlers: number) {
    this.#receiver = receiver;
    this.#maxPending = maxPendingHandlers;
  }

  /** Handler promises not yet settled (tests, metrics). */
  get pendingHandlers(): number {
    return this.#pending;
  }

  /**
   * One JSON array of queued messages: a joined string, or for a large batch the shared pieces SocketPush
   * frames once for WebSockets (batch-frame.ts); here they are read back as the same JSON text.
   */
  send(frame: string | PreparedFrame): void {
    const text = typeof frame === 'string' ? frame : Buffer.concat(frame.payload).toString('utf8');
    let messages: unknown;
    try {
      messages = JSON.parse(text);
    } catch (err) {
      this.#receiver.reportError(err);
      return;
    }
    if (!Array.isArray(messages)) return;
    for (const m of messages as unknown[]) {
      if (m !== null && typeof m === 'object' && typeof (m as Message).channel === 'string') {
        this.#backlog.push(m as Message);
      }
    }
    this.#pump();
  }

  get open(): boolean {
    return !this.#receiver.isClosed();
  }

  /**
   * 0 while handlers may be given more, Infinity once `maxPendingHandlers` of them are pending (above any
   * maxSocketBuffer): SocketPush then waits for onceDrained before it takes more from the engine queue.
   */
  get bufferedAmount(): number {
    return this.#full ? Number.POSITIVE_INFINITY : 0;
  }

  onceDrained(listener: () => void): void {
    if (this.#full) this.#drained.push(listener);
    else queueMicrotask(listener);
  }

  get #full(): boolean {
    return this.#pending >= this.#maxPending || this.#next < this.#backlog.length;
  }

  /** Hands messages to their handlers while fewer than maxPendingHandlers are pending. */
  #pump(): void {
    const backlog = this.#backlog;
    while (this.#next < backlog.length && this.#pending < this.#maxPending) {
      const message = backlog[this.#next++] as Message;
      if (this.#receiver.isClosed()) break;
      for (const handler of this.#receiver.handlersFor(message.channel)) this.#call(handler, message);
    }
    if (this.#next >= backlog.length || this.#receiver.isClosed()) {
      this.#backlog = [];
      this.#next = 0;
    }
    if (!this.#full && this.#drained.length > 0) {
      const listeners = this.#drained;
      this.#drained = [];
      for (const l of listeners) l();
    }
  }

  #call(handler: LocalMessageHandler, message: Message): void {
    let result: void | Promise<void>;
    try {
      result = handler(message.data, message.channel, message);
    } catch (err) {
      this.#receiver.reportError(err);
      return;
    }
    if (result === undefined || typeof (result as Promise<void>).then !== 'function') return;
    this.#pending++;
    (result as Promise<void>).then(this.#settled, (err: unknown) => {
      this.#receiver.reportError(err);
      this.#settled();
    });
  }

  readonly #settled = (): void => {
    this.#pending--;
    this.#pump();
  };
}
