// One WebSocket connection, the same class on both sides (server-accepted and Node client): the API a user
// calls (send, ping/pong, close, pause/resume; terminate and the state getters come with the state
// machine, connection.ts) and both event styles (Node `on` and WHATWG `onmessage`/`addEventListener`,
// event-target.ts). The closing handshake's steps are close-handshake.ts, reading and backpressure
// flow-control.ts, framing receiver.ts/sender.ts, the opening handshake handshake.ts (server) and client.ts
// (client).
import { Buffer } from 'node:buffer';
import { type ClientOptions, connectClient } from './client.js';
import { encodeClosePayload } from './close-payload.js';
import { Connection } from './connection.js';
import { READY_STATE, toBuffer, type WebSocketData } from './connection-io.js';
import { WebSocketError } from './errors.js';
import { OPCODE } from './frame.js';
import type { PreparedFrame } from './prepared-frame.js';
import type { SendCallback } from './sender.js';
import { isValidUtf8 } from './utf8.js';

export type { BinaryType, WebSocketEvents } from './connection.js';
export type { WebSocketData } from './connection-io.js';

export interface SendOptions {
  /** Binary (opcode 2) or text (opcode 1) frame; default: text for a string, binary for bytes. */
  binary?: boolean;
}

const EMPTY = Buffer.alloc(0);

export class WebSocket extends Connection {
  static readonly CONNECTING = READY_STATE.CONNECTING;
  static readonly OPEN = READY_STATE.OPEN;
  static readonly CLOSING = READY_STATE.CLOSING;
  static readonly CLOSED = READY_STATE.CLOSED;
  // Instance constants as prototype getters, so they cost no per-connection memory.
  get CONNECTING(): 0 {
    return READY_STATE.CONNECTING;
  }
  get OPEN(): 1 {
    return READY_STATE.OPEN;
  }
  get CLOSING(): 2 {
    return READY_STATE.CLOSING;
  }
  get CLOSED(): 3 {
    return READY_STATE.CLOSED;
  }

  /** The URL for client connections; '' for connections a server accepted. */
  readonly url: string;

  /**
   * Opens a client connection to `address` (ws:// or wss://). Servers create their connections with
   * `address` null, and attach the upgraded socket themselves.
   */
  constructor(
    address: string | URL | null,
    protocols?: string | string[] | ClientOptions,
    options?: ClientOptions,
  ) {
    super();
    if (address === null) {
      this.url = '';
      return;
    }
    if (protocols !== undefined && !Array.isArray(protocols) && typeof protocols === 'object') {
      options = protocols;
      protocols = undefined;
    }
    const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : protocols;
    this.url = connectClient(this, address, list, options ?? {});
  }

  /**
   * Sends a message: strings as text, bytes as binary, unless `options.binary` says otherwise (as ws's
   * `send(data, { binary })`). `{ binary: false }` sends bytes that are already UTF-8 as a text frame without
   * a decode and re-encode, e.g. echoing a text message's Buffer; they are checked (one native call) and
   * invalid UTF-8 throws WS_ERR_INVALID_UTF8, since RFC 6455 8.1 makes a peer fail the connection (1007)
   * on such a frame. `cb` runs once the bytes are written (or failed).
   */
  send(data: WebSocketData, cb?: SendCallback): void;
  send(data: WebSocketData, options: SendOptions, cb?: SendCallback): void;
  send(data: WebSocketData, optionsOrCb?: SendOptions | SendCallback, callback?: SendCallback): void {
    if (this._readyState === READY_STATE.CONNECTING) {
      throw new WebSocketError('WS_ERR_NOT_OPEN', 'send() before the connection is open');
    }
    let cb = callback;
    let text = typeof data === 'string';
    if (typeof optionsOrCb === 'function') cb = optionsOrCb;
    else if (optionsOrCb?.binary !== undefined) text = !optionsOrCb.binary;
    const bytes = typeof data === 'string' ? data : toBuffer(data);
    if (text && typeof bytes !== 'string' && !isValidUtf8(bytes)) {
      throw new WebSocketError('WS_ERR_INVALID_UTF8', 'send() with binary: false needs valid UTF-8 bytes');
    }
    if (this._readyState !== READY_STATE.OPEN || this.closeSent) {
      // WHATWG: sending on a closing socket is not an exception; the data is discarded.
      if (cb)
        process.nextTick(cb, new WebSocketError('WS_ERR_NOT_OPEN', 'the connection is closing or closed'));
      return;
    }
    this.sender().sendMessage(bytes, !text, cb);
    this.updateFlow();
  }

  /**
   * Sends a message framed once for many connections (`new PreparedFrame(payload)`): the same header and
   * payload buffers are written to every connection, never copied. Connections with permessage-deflate
   * compress it as send() would (a payload below the threshold is shared too); a client connection masks
   * it (a copy, RFC 6455 5.3). `cb` runs once the bytes are written (or failed).
   */
  sendPrepared(prepared: PreparedFrame, cb?: SendCallback): void {
    if (this._readyState === READY_STATE.CONNECTING) {
      throw new WebSocketError('WS_ERR_NOT_OPEN', 'sendPrepared() before the connection is open');
    }
    if (this._readyState !== READY_STATE.OPEN || this.closeSent) {
      if (cb)
        process.nextTick(cb, new WebSocketError('WS_ERR_NOT_OPEN', 'the connection is closing or closed'));
      return;
    }
    this.sender().sendPrepared(prepared, cb);
    this.updateFlow();
  }

  /** Sends a ping (RFC 6455 5.5.2); the payload is at most 125 bytes. */
  ping(data: WebSocketData = EMPTY, cb?: SendCallback): void {
    this.control(OPCODE.PING, data, cb);
  }

  /** Sends an unsolicited pong (RFC 6455 5.5.3: a unidirectional heartbeat). */
  pong(data: WebSocketData = EMPTY, cb?: SendCallback): void {
    this.control(OPCODE.PONG, data, cb);
  }

  /**
   * Stops reading from the socket, so TCP flow control pushes back on the peer (a consumer that cannot
   * keep up, an echo whose replies are not read). Messages whose bytes were already read may still be
   * emitted. No effect unless the connection is open; close() resumes, to read the peer's close frame.
   * The connection also stops reading by itself while its output is above maxBufferedAmount.
   */
  pause(): void {
    if (this._readyState === READY_STATE.OPEN) this.flow().pause();
  }

  /** Reads from the socket again after pause() (once the output is under maxBufferedAmount). */
  resume(): void {
    if (this._readyState === READY_STATE.OPEN || this._readyState === READY_STATE.CLOSING) {
      this.flow().resume();
    }
  }

  /** Whether the socket is not read: after pause(), or while the output is above maxBufferedAmount. */
  get isPaused(): boolean {
    return this._socket?.isPaused() === true;
  }

  /**
   * Starts the closing handshake (RFC 6455 7.1.2). Without a code the close frame has no body; a code must
   * be one that may go on the wire (1000-1003, 1007-1014, 3000-4999) and the reason at most 123 bytes.
   */
  close(code?: number, reason?: string | Buffer): void {
    const payload = encodeClosePayload(code, reason); // throws on codes that may not be sent
    if (this._readyState === READY_STATE.CLOSED) return;
    if (this._readyState === READY_STATE.CONNECTING) {
      this._abortHandshake?.(
        new WebSocketError('WS_ERR_NOT_OPEN', 'closed before the connection was established'),
      );
      return;
    }
    if (this.closeSent) return;
    this.closingStarts().start(payload);
    // RFC 6455 7.1.2: the handshake completes with the peer's close frame, which a paused socket never reads.
    // Reading while closing adds no output: nothing is answered once our close frame is sent.
    if (this._flow !== null) this._flow.resumeForClose();
    else this._socket?.resume();
  }
}
