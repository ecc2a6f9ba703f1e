// The closing handshake (RFC 6455 7.1.2-7.1.5 and 5.5.1): the close frames sent and received, the code and
// reason the connection reports, who closes TCP first, and the closeTimeout deadline. The frame bodies are
// close-payload.ts. One object per connection, created when the closing starts (an open connection holds
// none); websocket.ts drives it and keeps readyState.
import { Buffer } from 'node:buffer';
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { encodeClosePayload, truncateReason } from './close-payload.js';
import { reportError } from './connection-io.js';
import { WebSocketError } from './errors.js';
import { OPCODE } from './frame.js';
import type { Sender } from './sender.js';

const EMPTY = Buffer.alloc(0);

export interface CloseHandshakeOptions {
  /** The connection, for the 'error' of a timeout. */
  owner: EventEmitter;
  sender: Sender;
  socket: Duplex;
  isServer: boolean;
  closeTimeout: number;
}

export class CloseHandshake {
  /** Our close frame is queued (it goes out after what was sent before it). */
  sent = false;
  /** The peer's close frame arrived. */
  received = false;
  /** What 'close' reports: the peer's code (1005 when its frame had none), ours if we failed, else 1006. */
  code = 1006;
  reason: Buffer = EMPTY;
  private readonly options: CloseHandshakeOptions;
  private timer: NodeJS.Timeout | null = null;

  constructor(options: CloseHandshakeOptions) {
    this.options = options;
  }

  /** WHATWG wasClean: both close frames were exchanged. */
  get clean(): boolean {
    return this.sent && this.received;
  }

  /** RFC 6455 7.1.2: we start the closing handshake with our close frame. */
  start(payload: Buffer): void {
    this.send(payload);
  }

  /** RFC 6455 5.5.1: the peer's close frame. Answered with ours, echoing its code, unless ours is sent. */
  peerClosed(code: number, reason: Buffer): void {
    this.received = true;
    this.code = code;
    this.reason = reason;
    // 1005 means the peer's frame had no body: ours has none either.
    if (!this.sent) this.send(code === 1005 ? EMPTY : encodeClosePayload(code));
    else if (this.options.isServer) this.options.sender.end(); // RFC 6455 7.1.1: the server closes TCP first
  }

  /** RFC 6455 7.1.7, "Fail the WebSocket Connection": a close frame with the error's code, then TCP. */
  fail(err: WebSocketError): void {
    if (!this.sent && err.closeCode !== 1006) {
      this.sent = true;
      this.code = err.closeCode;
      const payload = encodeClosePayload(err.closeCode, truncateReason(err.message));
      this.options.sender.sendControl(OPCODE.CLOSE, payload);
    }
    this.options.sender.end();
    this.arm();
  }

  /** The TCP connection is gone: no deadline any more. */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private send(payload: Buffer): void {
    this.sent = true;
    this.options.sender.sendControl(OPCODE.CLOSE, payload);
    // RFC 6455 7.1.1: the server closes the TCP connection first, once both close frames went.
    if (this.received && this.options.isServer) this.options.sender.end();
    this.arm();
  }

  private arm(): void {
    if (this.timer !== null) return;
    // Waits for the peer's close frame, or (client) for the server to close TCP; then gives up.
    this.timer = setTimeout(CloseHandshake.expired, this.options.closeTimeout, this);
    this.timer.unref();
  }

  private static expired(self: CloseHandshake): void {
    self.timer = null;
    reportError(
      self.options.owner,
      new WebSocketError('WS_ERR_CLOSE_TIMEOUT', 'the peer did not complete the closing handshake'),
    );
    self.options.socket.destroy();
  }
}
