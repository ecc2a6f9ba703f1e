// The fan-out to subscribers over WebSockets: which socket each client's pushes go to on THIS node, and the
// scheduler that writes a client's queued messages to it, with backpressure. A publish queues in the engine
// (encode once) and wakes each subscriber (server.ts); a woken client with a bound socket is flushed here on
// the next turn, so a burst of publishes leaves as ONE frame per client. Clients without a socket get their
// messages in a /meta/connect reply instead (hold.ts). What one flush builds is bounded (maxReplyBytes),
// and large messages go out as shared Buffers (batch-frame.ts): one payload in memory for all subscribers.

import type { PreparedFrame } from '@pushwire/websocket';
import { batchFrame, SharedPayloads } from './batch-frame.js';
import type { QueueTake } from './engine/engine.js';

/** A WebSocket bound to a client: pushes go out as soon as messages are queued. */
export interface SocketBinding {
  /** Sends one text frame (a JSON array): joined text, or shared pieces framed once (batch-frame.ts). */
  send(frame: string | PreparedFrame): void;
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
  /**
   * Removes and returns the client's oldest messages within `maxBytes` (at least one), oldest first: a
   * plain array when the engine answers synchronously (Engine.takeQueueSync), or a promise of them with
   * whether more is queued (Engine.takeQueueWithMore: no second take to find out, issue 13).
   */
  take(clientId: string, maxBytes: number): string[] | Promise<string[] | QueueTake>;
  /**
   * Optional: the first take of many flushes at once (Engine.takeQueuesWithMore), one QueueTake per id in
   * order. The flushes one turn runs (the sockets a fan-out woke) then wait on ONE promise, not a chain
   * each (issue 12). Engines with a synchronous take leave it out: their flushes need no promise at all.
   */
  takeMany?(clientIds: readonly string[], maxBytes: number): Promise<QueueTake[]>;
  /**
   * Optional: whether messages are still queued (engines with a synchronous count). Without it, a flush
   * under a finite byte bound whose take answered a plain array takes once more to find out.
   */
  hasMore?(clientId: string): boolean;
  /** Messages taken but not sent (the socket closed meanwhile): back at the head of the queue, in order. */
  putBack?(clientId: string, messages: string[]): void;
  /** A failed take (engine closed or its storage failed). */
  onError(err: unknown): void;
}

export class SocketPush {
  readonly #sockets = new Map<string, SocketBinding>();
  /** Per client: a socket flush is running / another was asked for meanwhile (keeps push order). */
  readonly #flushing = new Map<string, boolean>();
  /** Clients to flush on the next turn (one shared setImmediate, see scheduleFlush). */
  #scheduled = new Map<string, FlushSource>();
  #immediate: NodeJS.Immediate | undefined;
  /** Clients whose socket pushes back: nothing is taken from their queue until it drains. */
  readonly #waitingDrain = new Set<string>();
  readonly #maxBuffered: number;
  readonly #maxFrame: number;
  /** The shared Buffers of large messages being fanned out (one copy for all subscribers). */
  readonly payloads = new SharedPayloads();

  /**
   * @param maxBufferedBytes Past this many bytes buffered on a socket, pushes stop and messages stay in the
   *   engine queue, where maxQueue and the queue policy bound them (a client that does not read cannot
   *   make the server buffer without limit).
   * @param maxFrameBytes Most bytes of messages one push frame carries (maxReplyBytes); the rest follows
   *   in the next frames, once the socket has room.
   */
  constructor(maxBufferedBytes = Number.POSITIVE_INFINITY, maxFrameBytes = Number.POSITIVE_INFINITY) {
    this.#maxBuffered = maxBufferedBytes;
    this.#maxFrame = maxFrameBytes;
  }

  bindSocket(clientId: string, socket: SocketBinding): void {
    this.#sockets.set(clientId, socket);
  }

  /** Unbinds `socket` from the client, unless the client has moved to another socket since. */
  unbindSocket(clientId: string, socket: SocketBinding): void {
    if (this.#sockets.get(clientId) === socket) this.#sockets.delete(clientId);
  }

  socketOf(clientId: string): SocketBinding | undefined {
    const s = this.#sockets.get(clientId);
    return s?.open ? s : undefined;
  }

  forgetClient(clientId: string): void {
    this.#sockets.delete(clientId);
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
    let many: Map<FlushSource, string[]> | undefined;
    for (const [clientId, source] of batch) {
      if (source.takeMany !== undefined && !this.#flushing.has(clientId)) {
        many ??= new Map();
        let ids = many.get(source);
        if (ids === undefined) many.set(source, (ids = []));
        ids.push(clientId);
      } else {
        this.flushSocket(clientId, source)?.catch(source.onError);
      }
    }
    if (many !== undefined) for (const [source, ids] of many) this.#flushMany(ids, source);
  };

  /**
   * flushSocket for many clients whose first takes go to the engine in ONE call (FlushSource.takeMany):
   * the same steps per client (a socket to write to, room in it, the take, the frame), each client then
   * going on alone when more is queued or a flush was asked for meanwhile (rare: a fan-out's take empties
   * a queue). A failed take is reported once for all.
   */
  #flushMany(clientIds: readonly string[], source: FlushSource): void {
    const takeMany = source.takeMany;
    if (takeMany === undefined) return;
    const ids: string[] = [];
    const sockets: SocketBinding[] = [];
    for (const clientId of clientIds) {
      const socket = this.socketOf(clientId);
      if (!socket) continue;
      if (socket.bufferedAmount > this.#maxBuffered) {
        this.#awaitDrain(clientId, socket, source);
        continue;
      }
      this.#flushing.set(clientId, false);
      ids.push(clientId);
      sockets.push(socket);
    }
    if (ids.length === 0) return;
    takeMany.call(source, ids, this.#maxFrame).then(
      (takes) => {
        for (let i = 0; i < ids.length; i++) {
          const take = takes[i];
          this.#afterFirstTake(
            ids[i] as string,
            source,
            sockets[i] as SocketBinding,
            take?.messages ?? [],
            take?.more ?? false,
          );
        }
      },
      (err: unknown) => {
        for (const clientId of ids) this.#flushing.delete(clientId);
        source.onError(err);
      },
    );
  }

  /** One client of #flushMany after its take: sends it, and goes on as #flushLoop when it must. */
  #afterFirstTake(
    clientId: string,
    source: FlushSource,
    socket: SocketBinding,
    messages: string[],
    more: boolean,
  ): void {
    let pending: Promise<void> | undefined;
    try {
      if (this.#deliver(clientId, source, socket, messages, more))
        pending = this.#flushLoop(clientId, source);
    } catch (err) {
      this.#flushing.delete(clientId);
      source.onError(err);
      return;
    }
    if (pending === undefined) this.#flushing.delete(clientId);
    else pending.finally(() => this.#flushing.delete(clientId)).catch(source.onError);
  }

  /**
   * Pushes queued messages over the client's socket, several messages in ONE frame, at most maxFrameBytes
   * of them per frame: a larger backlog goes out frame after frame, each once the socket has room.
   * Flushes are serialised per client so frames keep queue order. While `source.take` answers with plain
   * arrays (the memory engine's takeQueueSync) the flush runs to its end synchronously and returns
   * undefined: no promise, no reaction per woken client. A promise comes back once a take is a promise
   * (Redis), or, rejected, when a take fails.
   */
  flushSocket(clientId: string, source: FlushSource): Promise<void> | undefined {
    if (this.#flushing.has(clientId)) {
      this.#flushing.set(clientId, true);
      return undefined;
    }
    this.#flushing.set(clientId, false);
    let pending: Promise<void> | undefined;
    try {
      pending = this.#flushLoop(clientId, source);
    } catch (err) {
      this.#flushing.delete(clientId);
      return Promise.reject(err);
    }
    if (pending === undefined) {
      this.#flushing.delete(clientId);
      return undefined;
    }
    return pending.finally(() => this.#flushing.delete(clientId));
  }

  /** The flush, synchronous until a take answers with a promise (then the rest follows it). */
  #flushLoop(clientId: string, source: FlushSource): Promise<void> | undefined {
    for (;;) {
      const socket = this.socketOf(clientId);
      if (!socket) return undefined;
      if (socket.bufferedAmount > this.#maxBuffered) {
        this.#awaitDrain(clientId, socket, source);
        return undefined;
      }
      const taken = source.take(clientId, this.#maxFrame);
      if (!Array.isArray(taken)) return this.#flushAfter(clientId, source, socket, taken);
      if (!this.#deliver(clientId, source, socket, taken, undefined)) return undefined;
    }
  }

  async #flushAfter(
    clientId: string,
    source: FlushSource,
    socket: SocketBinding,
    taken: Promise<string[] | QueueTake>,
  ): Promise<void> {
    const got = await taken;
    const queue = Array.isArray(got) ? got : got.messages;
    const more = Array.isArray(got) ? undefined : got.more;
    if (this.#deliver(clientId, source, socket, queue, more)) await this.#flushLoop(clientId, source);
  }

  /**
   * Sends what one take found; true when the flush must go on (more queued, or asked for meanwhile).
   * `queuedMore`: what the take said about the rest (takeQueueWithMore), undefined when it did not.
   */
  #deliver(
    clientId: string,
    source: FlushSource,
    socket: SocketBinding,
    queue: string[],
    queuedMore: boolean | undefined,
  ): boolean {
    if (!socket.open) {
      // The socket closed while the queue was being taken: hand the messages back for the next connect.
      if (queue.length > 0) source.putBack?.(clientId, queue);
      return false;
    }
    if (queue.length > 0) socket.send(batchFrame(queue, this.payloads));
    // More than one frame's worth was queued: go on (the top of the loop waits for room first).
    const more =
      queue.length > 0 &&
      (queuedMore ?? source.hasMore?.(clientId) ?? this.#maxFrame !== Number.POSITIVE_INFINITY);
    if (more) return true;
    if (this.#flushing.get(clientId) !== true) return false;
    this.#flushing.set(clientId, false);
    return true;
  }

  #awaitDrain(clientId: string, socket: SocketBinding, source: FlushSource): void {
    if (this.#waitingDrain.has(clientId)) return;
    this.#waitingDrain.add(clientId);
    socket.onceDrained(() => {
      this.#waitingDrain.delete(clientId);
      this.flushSocket(clientId, source)?.catch(() => {
        // take() failed (engine closed): the next wake retries; nothing to report per socket.
      });
    });
  }
}
