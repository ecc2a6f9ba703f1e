// One upgraded socket of the websocket transport, as ONE object: what SocketPush writes pushes to, the
// CloseSignal of the connects held over it, what binds clients to it, and the in-order processing of its
// frames. Every connected client keeps one for as long as its socket is open, so it is a class whose
// methods live on the prototype: no closures, no per-socket context object, no upgrade request (only the
// small RequestInfo built from it), no frame queue or read gate while nothing waits (the idle case).

import type { Duplex } from 'node:stream';
import type { PreparedFrame, WebSocket } from '@pushwire/websocket';
import { batchFrame } from '../batch-frame.js';
import type { BatchContext, ClientBinder, Core, HeldReplySink } from '../core.js';
import { processBatch } from '../dispatcher.js';
import type { RequestInfo } from '../options.js';
import type { SocketBinding } from '../socket-push.js';
import type { TakeRecorder } from '../taken-messages.js';
import { CloseSignal } from './close-signal.js';
import { withOverflow } from './http-batch.js';
import { type ParsedBatch, parseMessages } from './http-body.js';
import { ReadGate } from './read-gate.js';
import { shareStrings } from './shared-strings.js';

/** RFC 6455 7.4.1 close codes used by the websocket transport. */
export const CLOSE = { goingAway: 1001, unsupportedData: 1003, policyViolation: 1008, tooBig: 1009 } as const;

/** Counts held connect replies not yet written, so server close can let them reach the sockets first. */
export interface ReplyTracker {
  started(): void;
  settled(): void;
}

/** What a session is made from: the socket, and what the server learnt from its upgrade request. */
export interface SessionInit {
  readonly ws: WebSocket;
  /** The TCP socket under it: paused for backpressure, and keying maxHandshakesPerConnection. */
  readonly connection: Duplex;
  readonly request: RequestInfo;
  readonly remoteAddress: string;
  readonly crossSite: boolean;
}

/** What one connect reply took from a client's queue, oldest first. */
interface Take {
  readonly clientId: string;
  readonly messages: readonly string[];
}

/** Issue 8 item 5: an upgraded socket that never handshakes must not hold a descriptor for ever. */
function onHandshakeDeadline(session: SocketSession): void {
  session.handshakeDeadlineReached();
}

export class SocketSession
  extends CloseSignal
  implements SocketBinding, ClientBinder, HeldReplySink, TakeRecorder
{
  readonly #core: Core;
  readonly #tracker: ReplyTracker;
  readonly #ws: WebSocket;
  readonly #connection: Duplex;
  readonly #request: RequestInfo;
  readonly #remoteAddress: string;
  readonly #crossSite: boolean;
  /** Runs until a handshake or connect names a session on this socket (bindClient). */
  #deadline: NodeJS.Timeout | undefined;
  /** The first client bound to this socket; any further ones in #more (usually there are none). */
  #first: string | undefined;
  #more: Set<string> | undefined;
  /** Frames received and not yet processed, oldest first; undefined while none waits. */
  #frames: string[] | undefined;
  /** Counts frames in flight (pausing the socket past maxPendingFrames); only while there are some. */
  #gate: ReadGate | undefined;
  #pumping = false;
  /** Messages connect replies took and have not yet written (record / sendBatch); usually undefined. */
  #takes: Take[] | undefined;

  constructor(core: Core, tracker: ReplyTracker, init: SessionInit) {
    super();
    this.#core = core;
    this.#tracker = tracker;
    this.#ws = init.ws;
    this.#connection = init.connection;
    this.#request = init.request;
    this.#remoteAddress = init.remoteAddress;
    this.#crossSite = init.crossSite;
    this.#deadline = setTimeout(onHandshakeDeadline, core.options.handshakeDeadline, this);
  }

  handshakeDeadlineReached(): void {
    this.#deadline = undefined;
    this.#core.stats.count('handshake-deadline', this.#remoteAddress);
    this.#ws.close(CLOSE.policyViolation, 'no Bayeux handshake in time');
  }

  // --- SocketBinding (socket-push.ts) ---

  send(frame: string | PreparedFrame): void {
    if (typeof frame === 'string') this.#ws.send(frame);
    else this.#ws.sendPrepared(frame);
  }

  get open(): boolean {
    return this.#ws.readyState === 1;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  onceDrained(listener: () => void): void {
    this.#ws.once('drain', listener);
  }

  // --- ClientBinder: a handshake or connect over this socket names a client ---

  bindClient(clientId: string): void {
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#deadline = undefined;
    if (this.#first === undefined) this.#first = clientId;
    else if (this.#first !== clientId) (this.#more ??= new Set()).add(clientId);
    this.#core.sockets.bindSocket(clientId, this);
  }

  /** Every client bound to this socket. */
  boundClients(): string[] {
    if (this.#first === undefined) return [];
    return this.#more === undefined ? [this.#first] : [this.#first, ...this.#more];
  }

  /**
   * Replies and released connects: one frame, nothing when empty. When the socket is gone, what connect
   * replies in `messages` took from queues goes back to the HEAD of those queues, in order, for the next
   * connect (the socket closed while the reply was built: the take, the outgoing extensions, the ping).
   */
  sendBatch(messages: string[]): void {
    if (messages.length === 0) return;
    const open = this.open;
    if (open) this.send(batchFrame(messages, this.#core.sockets.payloads));
    if (this.#takes !== undefined) this.#settleTakes(messages, !open);
  }

  // --- TakeRecorder: what connect replies over this socket took from queues, until they are written ---

  record(clientId: string, messages: readonly string[]): void {
    if (messages.length === 0) return;
    // A copy: the caller goes on to append the connect reply to its array.
    (this.#takes ??= []).push({ clientId, messages: messages.slice() });
  }

  /** The takes whose messages `sent` carries are settled: written, or (socket gone) given back. */
  #settleTakes(sent: readonly string[], giveBack: boolean): void {
    const takes = this.#takes as Take[];
    const settled: Take[] = [];
    for (let i = takes.length - 1; i >= 0; i--) {
      const take = takes[i] as Take;
      // The same string objects the take recorded ride the frame (one connect reply per take).
      if (sent.includes(take.messages[0] as string)) settled.push(...takes.splice(i, 1));
    }
    if (takes.length === 0) this.#takes = undefined;
    if (!giveBack) return;
    // The latest take first (settled is newest first): each requeue puts its messages AHEAD of what is
    // queued, so the older take ends up in front (Engine.requeue).
    const core = this.#core;
    for (const { clientId, messages } of settled) {
      core.engine.requeue(clientId, messages as string[]).catch((err: unknown) => core.reportError(err));
    }
  }

  // --- frames in, replies out ---

  /**
   * A text frame arrived. Frames of one socket are processed in order, one after the other; a held
   * /meta/connect does not block the frames after it (its reply is sent when released).
   */
  receive(text: string): void {
    (this.#gate ??= new ReadGate(this.#core.options.maxPendingFrames, this.#connection)).add();
    (this.#frames ??= []).push(text);
    if (!this.#pumping) void this.#pump();
  }

  /** The socket closed: held connects are released (their messages stay queued), bindings go. */
  closed(): void {
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#deadline = undefined;
    this.abort();
    const sockets = this.#core.sockets;
    for (const clientId of this.boundClients()) sockets.unbindSocket(clientId, this);
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      for (;;) {
        const text = this.#frames?.shift();
        if (text === undefined) break;
        try {
          await this.#process(text);
        } catch (err) {
          this.#core.reportError(err);
        }
        const gate = this.#gate;
        if (gate !== undefined) {
          gate.done();
          // Nothing in flight and the socket reading: an idle socket keeps neither (memory per client).
          if (gate.pending === 0 && !gate.paused) this.#gate = undefined;
        }
      }
      this.#frames = undefined;
      // Every frame answered (a held connect waits on its own): the socket is idle, its parser can go.
      this.#ws.compact();
    } finally {
      this.#pumping = false;
    }
  }

  async #process(text: string): Promise<void> {
    if (!this.open) return;
    const core = this.#core;
    let batch: ParsedBatch;
    try {
      batch = parseMessages(text, core.options.maxMessagesPerRequest);
    } catch (err) {
      // Not JSON, or not messages: nothing to answer in Bayeux terms (size is maxPayload's 1009).
      this.#ws.close(CLOSE.policyViolation, err instanceof Error ? err.message : 'bad input');
      return;
    }
    // A held connect keeps its message: the id this socket was bound with stands in for its client id.
    shareStrings(batch.messages, this.#first);
    const outcome = await processBatch(core, batch.messages, this.#context());
    this.sendBatch(withOverflow(outcome.messages, batch));
    // A held connect's reply comes to heldReply when released: the frames after it go on meanwhile.
  }

  /** HeldReplySink: a connect is held over this socket (hold.ts). */
  heldStarted(): void {
    this.#tracker.started();
  }

  /** HeldReplySink: a connect held over this socket was released (hold.ts). */
  heldReply(messages: string[]): void {
    this.#tracker.settled();
    this.sendBatch(messages);
  }

  /** A fresh context per frame (the dispatcher copies it per message): nothing of it is kept per socket. */
  #context(): BatchContext {
    return {
      transport: 'websocket',
      req: this.#request,
      signal: this,
      binder: this,
      replies: this,
      remoteAddress: this.#remoteAddress,
      crossSite: this.#crossSite,
      connection: this.#connection,
      taken: this,
    };
  }
}
