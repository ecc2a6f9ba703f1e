// Moves messages between the client and its current transport: ids, the outbox (batched per microtask,
// or explicitly with batch()), the outgoing/incoming extension pipeline, request timeouts, and routing of
// what comes back: replies to their request, deliveries to the client, bad input to `report`.

import { isMetaChannel, isValidChannel, META, type Message } from '@pushwire/bayeux';
import { ClientError } from './errors.js';
import type { ExtensionPipeline } from './extensions.js';
import type { Scheduler } from './scheduler.js';
import type { Transport, TransportSink } from './transports/transport.js';

export interface DispatcherHooks {
  /** A non-meta message with data that is not the answer to a remote call. */
  deliver(message: Message): void;
  /** Input that is not a valid Bayeux message, or a failing extension. */
  report(error: Error): void;
  /** The transport broke; the dispatcher already failed its requests. */
  transportFailed(transport: Transport, error: Error): void;
}

interface Pending {
  message: Message;
  transport: Transport | null;
  /** Remote calls are answered by a message on the same channel and id that carries `data`. */
  call: boolean;
  resolve(reply: Message): void;
  reject(error: Error): void;
  cancelTimer(): void;
}

/** Handshakes and connects travel alone: Bayeux §4.1 (handshake) and CometD's rule that only a lone connect is held. */
const ALONE = new Set<string>([META.handshake, META.connect]);

export class Dispatcher implements TransportSink {
  readonly #hooks: DispatcherHooks;
  readonly #extensions: ExtensionPipeline;
  readonly #scheduler: Scheduler;
  readonly #pending = new Map<string, Pending>();
  #outbox: { message: Message; timeoutMs: number }[] = [];
  #flushScheduled = false;
  #batchDepth = 0;
  #sendChain: Promise<void> = Promise.resolve();
  #receiveChain: Promise<void> = Promise.resolve();
  #nextId = 0;
  #receiveBacklog = 0;
  transport: Transport | null = null;

  constructor(hooks: DispatcherHooks, extensions: ExtensionPipeline, scheduler: Scheduler) {
    this.#hooks = hooks;
    this.#extensions = extensions;
    this.#scheduler = scheduler;
  }

  /** Sends a message that expects a reply with the same id (Bayeux §3.8). */
  request(message: Message, timeoutMs: number, call = false): Promise<Message> {
    // Base-36 counter as Faye does; ids only need to be unique within this client (§3.8).
    this.#nextId = (this.#nextId + 1) % 2 ** 32;
    const id = this.#nextId.toString(36);
    message.id = id;
    return new Promise<Message>((resolve, reject) => {
      const cancelTimer = this.#scheduler.schedule(() => {
        this.#settle(
          id,
          new ClientError('CLIENT_TIMEOUT', `no reply to ${message.channel} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#pending.set(id, { message, transport: this.transport, call, resolve, reject, cancelTimer });
      this.#outbox.push({ message, timeoutMs });
      this.#scheduleFlush();
    });
  }

  /** Holds outgoing messages until the matching endBatch(); nested batches are allowed. */
  startBatch(): void {
    this.#batchDepth++;
  }

  endBatch(): void {
    if (this.#batchDepth > 0) this.#batchDepth--;
    if (this.#batchDepth === 0) this.#scheduleFlush();
  }

  /** Fails every request in flight (optionally only those sent on `transport`). */
  failAll(error: Error, transport?: Transport): void {
    for (const [id, pending] of [...this.#pending]) {
      if (transport === undefined || pending.transport === transport) this.#settle(id, error);
    }
    if (transport === undefined) this.#outbox = [];
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  #settle(id: string, outcome: Message | Error): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    pending.cancelTimer();
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#batchDepth > 0) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      if (this.#batchDepth > 0) return;
      const items = this.#outbox.splice(0);
      if (items.length === 0) return;
      // Serialised so async extensions cannot reorder two flushes.
      this.#sendChain = this.#sendChain.then(() => this.#send(items));
    });
  }

  async #send(items: { message: Message; timeoutMs: number }[]): Promise<void> {
    const together: Message[] = [];
    let togetherTimeout = 0;
    for (const { message, timeoutMs } of items) {
      const id = message.id!;
      let out: Message | null;
      try {
        out = await this.#extensions.outgoing(message);
      } catch (err) {
        this.#settle(id, err instanceof Error ? err : new ClientError('CLIENT_EXTENSION', String(err)));
        continue;
      }
      if (out === null) {
        this.#settle(
          id,
          new ClientError('CLIENT_EXTENSION', `an outgoing extension dropped ${message.channel}`),
        );
        continue;
      }
      if (ALONE.has(out.channel)) {
        // Keep the outbox order: what was queued before the lone message leaves before it.
        if (together.length > 0) this.#transmit(together.splice(0), togetherTimeout);
        this.#transmit([out], timeoutMs);
      } else {
        together.push(out);
        togetherTimeout = Math.max(togetherTimeout, timeoutMs);
      }
    }
    if (together.length > 0) this.#transmit(together, togetherTimeout);
  }

  #transmit(messages: Message[], timeoutMs: number): void {
    const transport = this.transport;
    if (transport === null) {
      for (const m of messages)
        this.#settle(m.id!, new ClientError('CLIENT_TRANSPORT', 'no transport selected', { unsent: true }));
      return;
    }
    for (const m of messages) {
      const pending = this.#pending.get(m.id!);
      if (pending !== undefined) pending.transport = transport;
    }
    transport.send(messages, timeoutMs).catch((err: unknown) => {
      const error = err instanceof Error ? err : new ClientError('CLIENT_TRANSPORT', String(err));
      if (error instanceof ClientError && error.code === 'CLIENT_BAD_MESSAGE') this.#hooks.report(error);
      // An error about part of the batch (e.g. one message too large for a JSONP URL) fails only that part.
      const ids = error instanceof ClientError ? error.messageIds : undefined;
      for (const m of messages) if (ids === undefined || ids.includes(m.id!)) this.#settle(m.id!, error);
    });
  }

  // TransportSink ---------------------------------------------------------------------------------

  receive(raw: unknown, _transport: Transport): void {
    const list = Array.isArray(raw) ? raw : [raw];
    // Fast path: with no extension and nothing waiting, route synchronously (no promise per message).
    if (this.#extensions.size === 0 && this.#receiveBacklog === 0) {
      for (const item of list) {
        const message = this.#validate(item);
        if (message !== null) this.#route(message);
      }
      return;
    }
    // Serialised: incoming extensions are async, and delivery order must follow arrival order.
    this.#receiveBacklog++;
    this.#receiveChain = this.#receiveChain.then(async () => {
      try {
        for (const item of list) await this.#receiveOne(item);
      } finally {
        this.#receiveBacklog--;
      }
    });
  }

  failed(transport: Transport, error: Error): void {
    this.failAll(error, transport);
    this.#hooks.transportFailed(transport, error);
  }

  report(error: Error): void {
    this.#hooks.report(error);
  }

  /** The message if it is an object with a valid channel; otherwise reports it and returns null. */
  #validate(item: unknown): Message | null {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      this.#hooks.report(
        new ClientError('CLIENT_BAD_MESSAGE', `server sent a non-object message: ${short(item)}`),
      );
      return null;
    }
    const raw = item as Message;
    if (!isValidChannel(raw.channel)) {
      this.#hooks.report(
        new ClientError(
          'CLIENT_BAD_MESSAGE',
          `server message has a missing or invalid channel: ${short(item)}`,
        ),
      );
      return null;
    }
    return raw;
  }

  async #receiveOne(item: unknown): Promise<void> {
    const raw = this.#validate(item);
    if (raw === null) return;
    let message: Message | null;
    try {
      message = await this.#extensions.incoming(raw);
    } catch (err) {
      this.#hooks.report(err instanceof Error ? err : new ClientError('CLIENT_EXTENSION', String(err)));
      return;
    }
    if (message === null) return;
    this.#route(message);
  }

  /** Replies to their request, events to the client, anything else reported (message already validated). */
  #route(message: Message): void {
    const pending = typeof message.id === 'string' ? this.#pending.get(message.id) : undefined;
    if (pending !== undefined && pending.message.channel === message.channel) {
      // Only a message with `successful` answers a request: Faye broadcasts keep the publisher's id, so
      // our own publish can come back as an event with our id before its ack. A remote call is answered
      // by the reply that carries data (or a failure); a bare ack is not the answer.
      const isReply = typeof message.successful === 'boolean';
      if (pending.call ? isReply && ('data' in message || message.successful === false) : isReply) {
        this.#settle(message.id!, message);
        return;
      }
    }
    // Bayeux §3.12: replies carry `successful`; a reply whose request is gone (timed out) is dropped.
    if (typeof message.successful === 'boolean') return;
    if (isMetaChannel(message.channel)) {
      this.#hooks.report(
        new ClientError('CLIENT_BAD_MESSAGE', `meta message without successful: ${short(message)}`),
      );
      return;
    }
    if (!('data' in message)) {
      this.#hooks.report(
        new ClientError('CLIENT_BAD_MESSAGE', `event message without data: ${short(message)}`),
      );
      return;
    }
    this.#hooks.deliver(message);
  }
}

function short(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 120)}...` : text;
}
