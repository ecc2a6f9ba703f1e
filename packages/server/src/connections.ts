// Where each client's messages go on THIS node: a held /meta/connect (HTTP long-/callback-polling or a
// WebSocket) and/or a bound WebSocket that gets pushes. Bayeux §4.2: one outstanding connect per client, so
// a newer connect releases the held one at once. A held connect is released when messages are queued
// (engine sink `wake`), on its timeout, when the client is destroyed, and on server close.

import type { DestroyReason } from './engine/engine.js';

/** Why a held connect was answered. */
export type ReleaseReason = 'timeout' | 'wake' | 'replaced' | 'destroyed' | 'closing';

/** A WebSocket bound to a client: pushes go out as soon as messages are queued. */
export interface SocketBinding {
  /** Sends one text frame (a JSON array). */
  send(text: string): void;
  /** False once the socket is closing or closed. */
  readonly open: boolean;
  /** Bytes written but not yet handed to the kernel (the peer is not reading when this grows). */
  readonly bufferedAmount: number;
  /** Calls `listener` once when the send buffer has emptied. */
  onceDrained(listener: () => void): void;
}

/**
 * Where a socket flush takes a client's queue from (the engine) and hands it back to. The server makes ONE
 * for all its clients, so scheduling a flush allocates no closure per client.
 */
export interface FlushSource {
  /** Removes and returns the client's queue, oldest first: a plain array when the engine answers synchronously. */
  take(clientId: string): string[] | Promise<string[]>;
  /** Messages taken but not sent (the socket closed meanwhile): queue them again for the next connect. */
  putBack?(clientId: string, messages: string[]): void;
  /** A failed take (engine closed or its storage failed). */
  onError(err: unknown): void;
}

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

export interface HoldRequest {
  clientId: string;
  /** Counted against maxSessionsPerBrowser while held (HTTP transports only). */
  browserId: string | undefined;
  timeoutMs: number;
  /** Aborted when the transport goes away (HTTP request closed, socket closed): released as 'replaced'. */
  signal?: HoldSignal | undefined;
  /** Builds the reply once released. Must not reject (errors become reply data). */
  answer: (reason: ReleaseReason, detail?: DestroyReason) => Promise<string[]>;
}

export class Connections {
  readonly #held = new Map<string, Held>();
  readonly #sockets = new Map<string, SocketBinding>();
  readonly #perBrowser = new Map<string, number>();
  /** Per client: a socket flush is running / another was asked for meanwhile (keeps push order). */
  readonly #flushing = new Map<string, boolean>();
  /** Clients to flush on the next turn (one shared setImmediate, see scheduleFlush). */
  #scheduled = new Map<string, FlushSource>();
  #immediate: NodeJS.Immediate | undefined;
  /** Clients whose socket pushes back: nothing is taken from their queue until it drains. */
  readonly #waitingDrain = new Set<string>();
  readonly #maxBuffered: number;

  /**
   * @param maxBufferedBytes Past this many bytes buffered on a socket, pushes stop and messages stay in the
   *   engine queue, where maxQueue and the queue policy bound them (a client that does not read cannot
   *   make the server buffer without limit).
   */
  constructor(maxBufferedBytes = Number.POSITIVE_INFINITY) {
    this.#maxBuffered = maxBufferedBytes;
  }

  /**
   * Holds a connect until it is released; resolves with the encoded messages of the reply.
   * A connect already held for the same client is released first (Bayeux §4.2).
   */
  hold(request: HoldRequest): Promise<string[]> {
    this.release(request.clientId, 'replaced');
    return new Promise<string[]>((resolve) => {
      const held = new Held(this, request, resolve);
      const { signal } = request;
      // A closed request must not take the queue with it (the messages would be written to nobody).
      if (signal?.aborted === true) queueMicrotask(() => held.release('replaced'));
      else signal?.addEventListener('abort', held, { once: true });
      this.#held.set(request.clientId, held);
      if (request.browserId !== undefined) {
        this.#perBrowser.set(request.browserId, (this.#perBrowser.get(request.browserId) ?? 0) + 1);
      }
    });
  }

  /** Called by a Held once released. */
  forget(held: Held): void {
    const clientId = held.request.clientId;
    if (this.#held.get(clientId) !== held) return;
    this.#held.delete(clientId);
    const browserId = held.request.browserId;
    if (browserId !== undefined) {
      const n = (this.#perBrowser.get(browserId) ?? 1) - 1;
      if (n <= 0) this.#perBrowser.delete(browserId);
      else this.#perBrowser.set(browserId, n);
    }
  }

  /** Answers the held connect of `clientId`, if any. */
  release(clientId: string, reason: ReleaseReason, detail?: DestroyReason): boolean {
    const held = this.#held.get(clientId);
    if (!held) return false;
    held.release(reason, detail);
    return true;
  }

  isHeld(clientId: string): boolean {
    return this.#held.has(clientId);
  }

  /** Connects held for this browser, not counting `exceptClientId`'s own. */
  heldForBrowser(browserId: string, exceptClientId: string): number {
    const n = this.#perBrowser.get(browserId) ?? 0;
    const own = this.#held.get(exceptClientId);
    return own !== undefined && own.request.browserId === browserId ? n - 1 : n;
  }

  heldClientIds(): IterableIterator<string> {
    return this.#held.keys();
  }

  get heldCount(): number {
    return this.#held.size;
  }

  bindSocket(clientId: string, socket: SocketBinding): void {
    this.#sockets.set(clientId, socket);
  }

  unbindSocket(clientId: string, socket: SocketBinding): void {
    if (this.#sockets.get(clientId) === socket) this.#sockets.delete(clientId);
  }

  socketOf(clientId: string): SocketBinding | undefined {
    const s = this.#sockets.get(clientId);
    return s?.open ? s : undefined;
  }

  /**
   * Schedules a push to the client's socket on the next turn of the event loop, so that every message
   * queued in this turn (a burst of publishes) goes out in ONE frame. All clients woken in one turn share
   * ONE setImmediate: a publish to N socket clients costs N Map entries, not N timers and N closures.
   */
  scheduleFlush(clientId: string, source: FlushSource): void {
    if (this.#scheduled.has(clientId)) return;
    this.#scheduled.set(clientId, source);
    this.#immediate ??= setImmediate(this.#runScheduled);
  }

  readonly #runScheduled = (): void => {
    this.#immediate = undefined;
    // Swap first: a wake during these flushes is for the next turn (and its own immediate).
    const batch = this.#scheduled;
    this.#scheduled = new Map();
    for (const [clientId, source] of batch) {
      this.flushSocket(clientId, source).catch(source.onError);
    }
  };

  /**
   * Pushes queued messages over the client's socket, one frame per flush (several messages, ONE frame).
   * Flushes are serialised per client so frames keep queue order. When `source.take` answers with a plain
   * array (the memory engine's takeQueueSync) the whole flush runs without awaiting anything.
   */
  async flushSocket(clientId: string, source: FlushSource): Promise<void> {
    if (this.#flushing.has(clientId)) {
      this.#flushing.set(clientId, true);
      return;
    }
    this.#flushing.set(clientId, false);
    try {
      for (;;) {
        const socket = this.socketOf(clientId);
        if (!socket) return;
        if (socket.bufferedAmount > this.#maxBuffered) {
          this.#awaitDrain(clientId, socket, source);
          return;
        }
        const taken = source.take(clientId);
        const queue = Array.isArray(taken) ? taken : await taken;
        if (!socket.open) {
          // The socket closed while the queue was being taken: hand the messages back for the next connect.
          if (queue.length > 0) source.putBack?.(clientId, queue);
          return;
        }
        if (queue.length > 0) socket.send(`[${queue.join(',')}]`);
        if (this.#flushing.get(clientId) !== true) return;
        this.#flushing.set(clientId, false);
      }
    } finally {
      this.#flushing.delete(clientId);
    }
  }

  #awaitDrain(clientId: string, socket: SocketBinding, source: FlushSource): void {
    if (this.#waitingDrain.has(clientId)) return;
    this.#waitingDrain.add(clientId);
    socket.onceDrained(() => {
      this.#waitingDrain.delete(clientId);
      this.flushSocket(clientId, source).catch(() => {
        // take() failed (engine closed): the next wake retries; nothing to report per socket.
      });
    });
  }

  /** Answers every held connect (server close). */
  releaseAll(reason: ReleaseReason): void {
    for (const held of [...this.#held.values()]) held.release(reason);
  }

  forgetClient(clientId: string): void {
    this.#sockets.delete(clientId);
  }
}

function onHoldTimeout(held: Held): void {
  held.release('timeout');
}

/**
 * One held connect. A class rather than closures: an idle client holds a connect all the time, so what a
 * hold allocates is paid per connected client. It is its own abort listener (`handleEvent`, DOM
 * EventListener objects) and its timer calls a shared function with it as argument.
 */
class Held {
  readonly request: HoldRequest;
  readonly #owner: Connections;
  readonly #resolve: (messages: string[]) => void;
  readonly #timer: NodeJS.Timeout;
  #done = false;

  constructor(owner: Connections, request: HoldRequest, resolve: (messages: string[]) => void) {
    this.request = request;
    this.#owner = owner;
    this.#resolve = resolve;
    this.#timer = setTimeout(onHoldTimeout, request.timeoutMs, this);
  }

  /** The request's AbortSignal fired: the transport went away. */
  handleEvent(): void {
    this.release('replaced');
  }

  release(reason: ReleaseReason, detail?: DestroyReason): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.request.signal?.removeEventListener('abort', this);
    this.#owner.forget(this);
    const resolve = this.#resolve;
    this.request.answer(reason, detail).then(resolve, () => resolve([]));
  }
}
