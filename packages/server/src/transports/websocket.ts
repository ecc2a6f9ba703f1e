// The websocket transport (CometD/Faye `websocket` connection type): an upgrade on the mount path, JSON
// arrays in text frames both ways. Frames from one socket are processed in order; a held /meta/connect
// does not block the frames after it (its reply is sent when released: it stays the heartbeat). Pushes go
// out as soon as messages are queued, several queued messages in ONE frame (server.ts wake ->
// SocketPush.flushSocket in socket-push.ts). Size limit: maxMessageSize as the WebSocket maxPayload (close 1009).

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type PreparedFrame, type WebSocket, WebSocketServer } from '@pushwire/websocket';
import { batchFrame, type SharedPayloads } from '../batch-frame.js';
import type { BatchContext, Core } from '../core.js';
import { processBatch } from '../dispatcher.js';
import { isCrossSite } from '../request-info.js';
import type { SocketBinding } from '../socket-push.js';
import { CloseSignal } from './close-signal.js';
import { withOverflow } from './http-batch.js';
import { type ParsedBatch, parseMessages } from './http-body.js';
import { ReadGate } from './read-gate.js';

/** RFC 6455 7.4.1 close codes used here. */
const CLOSE = { goingAway: 1001, unsupportedData: 1003, policyViolation: 1008, tooBig: 1009 } as const;

/** The 'close' event follows an 'error'; nothing else to do (errors are the websocket layer's to report). */
function ignoreSocketError(): void {}

/**
 * One upgraded socket as SocketPush sees it, and the CloseSignal of the connects held over it (fired on
 * close). A class (prototype methods and getters) rather than an object literal of closures: every
 * connected client has one for as long as its socket is open.
 */
class SocketSession extends CloseSignal implements SocketBinding {
  readonly #ws: WebSocket;
  readonly #payloads: SharedPayloads;
  /** The first client bound to this socket; any further ones in #more (usually there are none). */
  #first: string | undefined;
  #more: Set<string> | undefined;

  constructor(ws: WebSocket, payloads: SharedPayloads) {
    super();
    this.#ws = ws;
    this.#payloads = payloads;
  }

  send(frame: string | PreparedFrame): void {
    if (typeof frame === 'string') this.#ws.send(frame);
    else this.#ws.sendPrepared(frame);
  }

  bind(clientId: string): void {
    if (this.#first === undefined) this.#first = clientId;
    else if (this.#first !== clientId) (this.#more ??= new Set()).add(clientId);
  }

  /** Every client bound to this socket. */
  boundClients(): string[] {
    if (this.#first === undefined) return [];
    return this.#more === undefined ? [this.#first] : [this.#first, ...this.#more];
  }

  /** Replies and released connects: one frame, nothing when empty or the socket is gone. */
  sendBatch(messages: string[]): void {
    if (messages.length > 0 && this.open) this.send(batchFrame(messages, this.#payloads));
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
}

export class WebSocketTransport {
  readonly #core: Core;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<WebSocket>();
  /** Held connect replies not yet written (close() waits for them before closing sockets). */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(core: Core) {
    this.#core = core;
    // maxPayload: an oversized message closes the socket with 1009 (RFC 6455 7.4.1) in the websocket layer.
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: core.options.maxMessageSize,
      perMessageDeflate: core.options.perMessageDeflate,
      // The websocket layer's own cap as a backstop; server.ts's admission (websockets plus HTTP requests in
      // flight, the same number) refuses first.
      maxConnections: core.options.maxConnections,
    });
  }

  /**
   * Takes an upgrade that holds one of admission's connection slots (server.ts took it): the slot goes back
   * when the socket closes, whether or not the opening handshake completed.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, remoteAddress: string): void {
    const core = this.#core;
    socket.once('close', () => core.admission.closeConnection());
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, req, socket, remoteAddress));
  }

  #onConnection(ws: WebSocket, req: IncomingMessage, socket: Duplex, remoteAddress: string): void {
    const core = this.#core;
    // Issue 8 item 5: an upgraded socket that never handshakes must not hold a descriptor for ever. The
    // deadline ends when a handshake or connect names a session on this socket (bindClient).
    let deadline: NodeJS.Timeout | undefined = setTimeout(() => {
      deadline = undefined;
      core.stats.count('handshake-deadline', remoteAddress);
      ws.close(CLOSE.policyViolation, 'no Bayeux handshake in time');
    }, core.options.handshakeDeadline);
    // Pausing the upgraded socket stops the websocket layer's reads: TCP backpressure on a flooding peer.
    const gate = new ReadGate(core.options.maxPendingFrames, socket);
    this.#sockets.add(ws);
    const binding = new SocketSession(ws, core.sockets.payloads);
    // One per socket, reused by every held connect's reply.
    const send = (messages: string[]): void => binding.sendBatch(messages);
    const ctx: BatchContext = {
      transport: 'websocket',
      req,
      signal: binding,
      remoteAddress,
      crossSite: isCrossSite(req),
      connection: socket,
      bindClient: (clientId) => {
        if (deadline !== undefined) clearTimeout(deadline);
        deadline = undefined;
        binding.bind(clientId);
        core.sockets.bindSocket(clientId, binding);
      },
    };
    let chain: Promise<void> = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        ws.close(CLOSE.unsupportedData, 'text frames only');
        return;
      }
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Buffer.from(data).toString('utf8');
      gate.add();
      chain = chain.then(async () => {
        if (!binding.open) return;
        let batch: ParsedBatch;
        try {
          batch = parseMessages(text, core.options.maxMessagesPerRequest);
        } catch (err) {
          // Not JSON, or not messages: nothing to answer in Bayeux terms (size is maxPayload's 1009).
          ws.close(CLOSE.policyViolation, err instanceof Error ? err.message : 'bad input');
          return;
        }
        const outcome = await processBatch(core, batch.messages, { ...ctx });
        binding.sendBatch(withOverflow(outcome.messages, batch));
        if (outcome.held !== undefined) {
          const sent = outcome.held.then(send, (err: unknown) => core.reportError(err));
          this.#inFlight.add(sent);
          sent.finally(() => this.#inFlight.delete(sent));
        }
      });
      chain = chain.catch((err: unknown) => core.reportError(err)).finally(() => gate.done());
    });
    ws.on('error', ignoreSocketError);
    ws.on('close', () => {
      if (deadline !== undefined) clearTimeout(deadline);
      this.#sockets.delete(ws);
      binding.abort();
      for (const clientId of binding.boundClients()) core.sockets.unbindSocket(clientId, binding);
    });
  }

  /** Closes every socket with 1001 (going away) and stops the WebSocket server. */
  async close(): Promise<void> {
    // The held connects were released just before: let their replies reach the sockets first.
    await Promise.allSettled([...this.#inFlight]);
    for (const ws of this.#sockets) ws.close(CLOSE.goingAway, 'server closing');
    await this.#wss.close();
  }
}
