// The per-connection state machine under the public WebSocket class (websocket.ts): the readyState
// transitions driven by the socket, the frame parser, the closing handshake and the client's opening
// handshake, and the parts they drive, each created when first needed (receiver.ts, sender.ts,
// flow-control.ts, close-handshake.ts). Only this class changes a connection's state: other modules call
// its transitions (the `_` methods, marked internal: absent from the published types); websocket.ts adds
// the API a user calls (send, ping, close, pause ...) on the protected helpers here.
import { Buffer } from 'node:buffer';
import { nextTick } from 'node:process';
import type { Duplex } from 'node:stream';
import { CloseHandshake } from './close-handshake.js';
import {
  type AttachOptions,
  READY_STATE,
  type ReadyState,
  reportError,
  Sink,
  socketOnClose,
  socketOnData,
  socketOnDrain,
  socketOnError,
  type TaggedSocket,
  tagSocket,
  toArrayBuffer,
  toBuffer,
  type WebSocketData,
} from './connection-io.js';
import type { NegotiatedDeflate } from './deflate/codec.js';
import { closeChannel } from './diagnostics.js';
import { WebSocketError } from './errors.js';
import { WsEventTarget } from './event-target.js';
import { FlowControl } from './flow-control.js';
import { OPCODE } from './frame.js';
import type { ConnectionLimits } from './options.js';
import { Receiver } from './receiver.js';
import { type SendCallback, Sender, writeSharedAtOnce, writeTick } from './sender.js';

export type BinaryType = 'nodebuffer' | 'arraybuffer';

export type WebSocketEvents = {
  open: [];
  /** `data` is a Buffer (an ArrayBuffer with binaryType 'arraybuffer'); text messages have isBinary false. */
  message: [data: Buffer | ArrayBuffer, isBinary: boolean];
  close: [code: number, reason: Buffer];
  error: [err: Error];
  ping: [data: Buffer];
  pong: [data: Buffer];
  /**
   * bufferedAmount returned to 0 after being above 0: everything send() accepted is handed to the kernel,
   * whether it waited for this tick's write, for compression, or for the socket to stop pushing back.
   */
  drain: [];
};

const EMPTY = Buffer.alloc(0);

/** The connection whose socket read is being parsed (its replies wait for the read's end), if any. */
let reading: Connection | null = null;
/** The read being parsed may write its first reply at once (see _socketData). */
let readingAlone = false;
/** The connection of the last socket read, any connection's. */
let lastRead: Connection | null = null;

// Structurally a ConnectionHost (connection-io.ts), a HandshakeTarget (client.ts) and a DrainListener
// (sender.ts), checked where `this` is passed to them; no `implements` clause, whose members the published
// types would not show (the `_` transitions are marked internal and stripped from the .d.ts).
export class Connection extends WsEventTarget<WebSocketEvents> {
  binaryType: BinaryType = 'nodebuffer';

  /** @internal */
  protected _readyState: ReadyState = READY_STATE.CONNECTING;
  private _protocol = '';
  private _extensions = '';
  // `_socket` keeps its name: tests reach the raw socket through it to write what a peer would not.
  /** @internal */
  protected _socket: TaggedSocket | null = null;
  // The frame parser, the output queue and flow control are allocated when first needed (the first byte
  // from the peer, the first send, the first pause or backpressure): an idle connection, what a push server
  // holds most of, holds none of them (bench/README.md, heap per idle connection).
  /**
   * The frame parser, from the first byte read (null again after compact()); STOPPED once nothing more may
   * be parsed.
   */
  private _receiver: Receiver | null = null;
  /** @internal Whether and why the socket is not read: pause(), backpressure, and their deadlines. */
  protected _flow: FlowControl | null = null;
  private _sender: Sender | null = null;
  private _deflate: NegotiatedDeflate | null = null;
  private _isServer = false;
  private _limits: ConnectionLimits | null = null;
  /** The closing handshake, from its start (close-handshake.ts). */
  private _closing: CloseHandshake | null = null;
  /** Liveness: set by pongs, cleared by each heartbeat (liveness.ts). */
  private _alive = true;
  /** The server's `clients` set, left when the connection closes. */
  private _tracker: Set<Connection> | null = null;
  /** Before there is a Sender: the tick of the last broadcast frame written at once (its writtenIn). */
  private _sharedIn = 0;
  /** @internal For client handshakes: aborts the pending request. */
  protected _abortHandshake: ((err: Error) => void) | null = null;

  /** CONNECTING, OPEN, CLOSING or CLOSED (WHATWG readyState). */
  get readyState(): ReadyState {
    return this._readyState;
  }

  /** The subprotocol the server selected ('' for none). */
  get protocol(): string {
    return this._protocol;
  }

  /** The negotiated extensions, as the Sec-WebSocket-Extensions response header said them. */
  get extensions(): string {
    return this._extensions;
  }

  /** @internal Attaches the upgraded socket and opens the connection. */
  _attach(socket: Duplex, head: Buffer, options: AttachOptions): void {
    const { isServer, limits, deflate } = options;
    const tagged = tagSocket(socket, this);
    this._socket = tagged;
    this._isServer = isServer;
    this._limits = limits;
    this._deflate = deflate;
    this._protocol = options.protocol ?? '';
    this._extensions = options.extensions ?? '';
    this._abortHandshake = null;
    const s = socket as Duplex & { setNoDelay?: (v: boolean) => void; setTimeout?: (ms: number) => void };
    // Small frames must not wait for Nagle; the sender already coalesces one tick's frames.
    s.setNoDelay?.(true);
    s.setTimeout?.(0);
    // RFC 6455 7.1.1: a peer's FIN is answered by ending our side too (no half-open WebSocket). Streams do
    // that themselves when allowHalfOpen is false (the documented Duplex option, read when the readable side
    // ends), and then close: 'close' reports 1006. This saves an 'end' listener, which on an upgraded
    // net.Socket would be a second one (net's own) and so a listener array per connection (64 bytes).
    socket.allowHalfOpen = false;
    socket.on('data', socketOnData);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
    socket.on('drain', socketOnDrain);
    // Bytes that came with the upgrade are parsed on the next tick (still before any further socket I/O),
    // after the caller has attached its 'message' listeners (server 'connection', client 'open'). Not
    // socket.unshift(): on an already-flowing upgraded socket the unshifted bytes would wait for more input.
    if (head.length > 0) nextTick(writeHead, this, head);
    this._readyState = READY_STATE.OPEN;
    if (socket.destroyed) nextTick(socketOnClose.bind(tagged));
  }

  /** @internal The server tracks this connection in `clients`; it leaves the set when it closes. */
  _track(clients: Set<Connection>): void {
    clients.add(this);
    this._tracker = clients;
  }

  get bufferedAmount(): number {
    // Before the first send, only what the socket holds (the tail of the 101 response, say).
    if (this._sender !== null) return this._sender.bufferedAmount;
    return this._socket === null ? 0 : this._socket.writableLength;
  }

  /** @internal The output side, created on the first frame sent. Only called once the socket is attached. */
  protected sender(): Sender {
    let sender = this._sender;
    if (sender === null) {
      sender = new Sender(this._socket!, !this._isServer, this._deflate, this, this._sharedIn);
      // First send from inside a read of this connection (a message handler's reply): it waits for the
      // read's end like the rest of that read's replies.
      if (reading === this) sender.holdForRead(readingAlone);
      this._sender = sender;
    }
    return sender;
  }

  /** @internal Flow control, created on the first pause(), backpressure or message spanning reads. */
  protected flow(): FlowControl {
    return (this._flow ??= new FlowControl(this._socket!, this._limits!, this));
  }

  /** @internal Output grew or drained: flow control pauses above maxBufferedAmount and resumes under it. */
  protected updateFlow(): void {
    // Never paused and under the bound: nothing to do, and no FlowControl needed to know it.
    if (this._flow === null && this.bufferedAmount <= this._limits!.maxBufferedAmount) return;
    this.flow().update();
  }

  /** The parser stops for good (close frame, failure, TCP gone): later bytes are dropped. */
  private stopReceiving(): void {
    if (this._receiver !== null) this._receiver.stop();
    this._receiver = STOPPED;
  }

  /** @internal The sender's bufferedAmount returned to 0 (see the 'drain' event). */
  _senderDrained(): void {
    this._flow?.update();
    if (this._readyState === READY_STATE.OPEN) this.emit('drain');
  }

  /**
   * @internal Broadcast's one path per connection: `frame` is a complete unmasked frame of `length`
   * payload bytes, shared by every connection (never copied), written at once when nothing of this
   * connection's waits (Sender.sendShared). Skipped unless open. Returns false when this connection
   * compresses a message that large (RFC 7692): the caller sends it through send() instead.
   */
  _sendShared(frame: Buffer, length: number): boolean {
    // OPEN implies no close frame sent: the closing handshake leaves OPEN as it starts. The literal (checked
    // against READY_STATE.OPEN by the type checker), not the module binding, which costs a hole check and a
    // property read: this function must stay under V8's size for early optimisation (81 bytes of bytecode),
    // a broadcast runs it once per connection.
    if (this._readyState !== (1 satisfies typeof READY_STATE.OPEN)) return true;
    const deflate = this._deflate;
    if (deflate !== null && length >= deflate.threshold) return false;
    const sender = this._sender;
    // Taken whole by the kernel and never paused: flow control has nothing to do.
    if (sender === null) this.sendSharedUnsent(frame);
    else if (!sender.sendShared(frame) || this._flow !== null) this.updateFlow();
    return true;
  }

  /**
   * _sendShared for a connection that has sent nothing yet, so has no Sender and nothing of ours waiting:
   * the frame is written at once without creating one (a broadcast to idle connections allocates nothing
   * per connection), unless one was this tick already (the rest of the tick coalesces, as
   * Sender.writtenIn) or a read of this connection is being handled (its replies wait for the read's end).
   * Either way the Sender takes it, created with that tick. Apart from _sendShared so that it stays small
   * enough for V8 to optimise it early (and inline this).
   */
  private sendSharedUnsent(frame: Buffer): void {
    if (this._sharedIn === writeTick || reading === this) {
      this.sender().sendShared(frame);
      this.updateFlow();
      return;
    }
    this._sharedIn = writeTick;
    if (!writeSharedAtOnce(this._socket!, frame)) {
      this.sender().keptAtOnce();
      this.updateFlow();
    } else if (this._flow !== null) this.updateFlow();
  }

  /** @internal A ping or pong (RFC 6455 5.5.2, 5.5.3): checked, then framed by the sender. */
  protected control(opcode: number, data: WebSocketData, cb: SendCallback | undefined): void {
    if (this._readyState === READY_STATE.CONNECTING) {
      throw new WebSocketError('WS_ERR_NOT_OPEN', 'ping/pong before the connection is open');
    }
    const payload = typeof data === 'string' ? Buffer.from(data) : toBuffer(data);
    if (payload.length > 125) {
      throw new WebSocketError('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 'ping/pong payload over 125 bytes');
    }
    if (this._readyState !== READY_STATE.OPEN || this.closeSent) {
      if (cb) nextTick(cb, new WebSocketError('WS_ERR_NOT_OPEN', 'the connection is closing or closed'));
      return;
    }
    this.sender().sendControl(opcode, payload, cb);
    this.updateFlow();
  }

  /** Destroys the connection at once, without a closing handshake. */
  terminate(): void {
    if (this._readyState === READY_STATE.CLOSED) return;
    if (this._readyState === READY_STATE.CONNECTING) {
      this._abortHandshake?.(
        new WebSocketError('WS_ERR_NOT_OPEN', 'terminated before the connection was established'),
      );
      return;
    }
    this._readyState = READY_STATE.CLOSING;
    this._socket?.destroy();
  }

  /** @internal Our close frame went (or is queued): nothing more is sent or answered. */
  protected get closeSent(): boolean {
    return this._closing?.sent === true;
  }

  /** @internal The connection is closing: the close handshake's own deadline (closeTimeout) replaces the flow ones. */
  protected closingStarts(): CloseHandshake {
    this._readyState = READY_STATE.CLOSING;
    this._flow?.stop();
    this._closing ??= new CloseHandshake({
      owner: this,
      sender: this.sender(),
      socket: this._socket!,
      isServer: this._isServer,
      closeTimeout: this._limits!.closeTimeout,
    });
    return this._closing;
  }

  // --- transitions driven by the socket and the parser (connection-io.ts) ---

  /** @internal Bytes from the socket, for the frame parser. */
  _socketData(chunk: Buffer): void {
    let receiver = this._receiver;
    if (receiver === null) {
      if (this._limits === null) return; // not attached
      receiver = new Receiver(new Sink(this), this._isServer, this._limits, this._deflate);
      this._receiver = receiver;
    }
    // Per-read send batching: what the handlers of this chunk's messages send to this connection goes out
    // in one write when the chunk is parsed (sender.ts), not one write per reply nor on a later tick.
    // Except the first reply when this connection is the only one read since its previous read: nothing
    // else waits for this process, so that reply goes out at once and the peer works on it while the
    // rest are produced (pipelined, as a peer answering each message would be); with many connections
    // being read in turn the process is busy, and one write per read is what saves its CPU.
    const alone = lastRead === this;
    lastRead = this;
    const outer = reading;
    const outerAlone = readingAlone;
    reading = this;
    readingAlone = alone;
    this._sender?.holdForRead(alone);
    try {
      receiver.write(chunk);
    } finally {
      reading = outer;
      readingAlone = outerAlone;
      this._sender?.releaseAfterRead();
    }
    if (this._readyState !== READY_STATE.OPEN) return;
    // fragmentTimeout: only a message spanning reads arms a deadline (and needs flow control for it).
    if (receiver.inMessage) this.flow().messageProgress(true);
    else this._flow?.messageProgress(false);
  }

  /**
   * Lets the frame parser go while it holds nothing (no byte of a frame, no message in progress); the next
   * read makes a fresh one in the same state. For servers that know a connection has gone idle (a Bayeux
   * socket whose client now waits on a held connect): about 340 bytes per idle connection (issue 13: the
   * Receiver, its Sink, byte queue and message assembly). Not done after every read, which would re-make
   * the parser per read on a busy connection. No effect during a read, while anything is held, or once
   * nothing more may be parsed.
   */
  compact(): void {
    const receiver = this._receiver;
    if (receiver !== null && reading !== this && receiver.idle) this._receiver = null;
  }

  /** @internal The socket drained: the sender decides whether bufferedAmount is back to 0. */
  _socketDrained(): void {
    this._sender?.checkDrained();
    this._flow?.update();
  }

  /** @internal A complete message from the parser. */
  _messageReceived(data: Buffer, isBinary: boolean): void {
    if (this._readyState !== READY_STATE.OPEN) return;
    this.emit(
      'message',
      isBinary && this.binaryType === 'arraybuffer' ? toArrayBuffer(data) : data,
      isBinary,
    );
  }

  /** @internal RFC 6455 5.5.2/5.5.3: answer with a pong carrying the same payload, unless closing. */
  _pingReceived(data: Buffer): void {
    if (!this.closeSent && this._socket !== null) {
      // RFC 6455 5.5.3: while the output is above its bound, only the latest ping is answered (flow-control.ts).
      if (this._flow?.backpressured === true) this._flow.holdPong(data);
      else {
        this.sender().sendControl(OPCODE.PONG, data);
        this.updateFlow();
      }
    }
    this.emit('ping', data);
  }

  /** @internal The output is back under maxBufferedAmount: answer the latest ping held meanwhile. */
  _relieved(pong: Buffer | null): void {
    if (pong === null || this.closeSent || this._readyState !== READY_STATE.OPEN) return;
    this.sender().sendControl(OPCODE.PONG, pong);
    this.updateFlow();
  }

  /** @internal RFC 6455 5.5.3: an unsolicited pong needs no answer; it still counts as a sign of life. */
  _pongReceived(data: Buffer): void {
    this._alive = true;
    this.emit('pong', data);
  }

  /** @internal The peer's close frame arrived (RFC 6455 5.5.1). */
  _closeFrameReceivedWith(code: number, reason: Buffer): void {
    this.closingStarts().peerClosed(code, reason);
  }

  /** @internal Fail the WebSocket connection (RFC 6455 7.1.7): close frame with the error's code, then TCP. */
  _fail(err: WebSocketError): void {
    if (this._readyState === READY_STATE.CLOSED) return;
    this.stopReceiving();
    this.closingStarts().fail(err);
    reportError(this, err);
  }

  /** @internal The TCP connection is gone: the WebSocket is closed (RFC 6455 7.1.4). */
  _socketClosed(): void {
    if (this._readyState === READY_STATE.CLOSED) return;
    this._readyState = READY_STATE.CLOSED;
    this._closing?.stop();
    this.stopReceiving();
    this._flow?.stop();
    this._sender?.abort(
      new WebSocketError('WS_ERR_NOT_OPEN', 'the connection closed before the data was sent'),
    );
    this._deflate?.cleanup();
    this._deflate = null;
    this._tracker?.delete(this);
    this._tracker = null;
    if (lastRead === this) lastRead = null;
    const socket = this._socket;
    if (socket !== null) {
      socket.removeListener('data', socketOnData);
      socket.removeListener('drain', socketOnDrain);
    }
    // RFC 6455 7.1.5/7.1.6: the peer's close code and reason, or 1006 without a closing handshake.
    const code = this._closing?.code ?? 1006;
    const reason = this._closing?.reason ?? EMPTY;
    if (closeChannel.hasSubscribers) closeChannel.publish({ ws: this, code, reason });
    this.emit('close', code, reason);
  }

  /**
   * @internal One tick of the liveness check (liveness.ts): a peer that did not answer the previous ping
   * is terminated (no closing handshake with a dead peer); otherwise it is pinged again.
   */
  _heartbeat(): void {
    if (this._readyState !== READY_STATE.OPEN) return;
    if (!this._alive) {
      reportError(this, new WebSocketError('WS_ERR_PING_TIMEOUT', 'the peer did not answer the last ping'));
      this.terminate();
      return;
    }
    this._alive = false;
    this.control(OPCODE.PING, EMPTY, undefined);
  }

  // --- transitions driven by the client's opening handshake (client.ts) ---

  /** @internal The handshake request is out; `abort` cancels it (close() or terminate() meanwhile). */
  _handshakeStarted(abort: (err: Error) => void): void {
    this._abortHandshake = abort;
  }

  /** @internal The server's 101 passed every check: the connection opens. */
  _handshakeCompleted(socket: Duplex, head: Buffer, options: AttachOptions): void {
    this._attach(socket, head, options);
    this.emit('open');
  }

  /** @internal Ends a connection that never opened (client handshake failure). */
  _handshakeFailed(err: Error): void {
    if (this._readyState === READY_STATE.CLOSED) return;
    this._readyState = READY_STATE.CLOSED;
    this._abortHandshake = null;
    reportError(this, err);
    this.emit('close', 1006, EMPTY);
  }

  /** WHATWG close event's wasClean: both close frames were exchanged. */
  protected closedCleanly(): boolean {
    return this._closing?.clean === true;
  }
}

/** The receiver of every connection that stopped parsing: it drops whatever it is given. */
const STOPPED = new Receiver(
  new Sink(null as unknown as Connection), // never called: a stopped receiver reports nothing
  true,
  { maxPayload: 1, maxFragments: 1, maxBufferedChunks: 1 },
);
STOPPED.stop();

function writeHead(ws: Connection, head: Buffer): void {
  ws._socketData(head);
}
