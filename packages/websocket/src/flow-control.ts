// When a connection stops reading its peer: the user's pause(), backpressure, and two deadlines. One object
// per open connection, owned by websocket.ts, which tells it when output grew or drained.
//
// Backpressure (the same idea as ws' and Faye's, inside the library): a peer that sends and never reads
// would grow our output without bound, and not only through messages the application sends: every ping is
// answered with a pong and a close frame with a close frame (RFC 6455 5.5.2, 5.5.1). Once the unread output
// (bufferedAmount: frames queued, being compressed, or in the socket's buffer) passes maxBufferedAmount, the
// socket is paused, so TCP flow control pushes back on the peer, until the output is back under the bound.
// Pings read meanwhile (the rest of the chunk being parsed) get one pong, for the latest of them, once the
// output drains (RFC 6455 5.5.3 allows answering only the most recent ping). If the output stays above the
// bound for backpressureTimeout, the connection fails with 1008 (the close frame queues behind output the
// peer does not read; closeTimeout then destroys the socket).
//
// fragmentTimeout: a data message must be complete within this deadline of being first seen incomplete at
// the end of a socket read (a peer stuck between fragments, or trickling one frame's payload). Only messages
// that span reads arm a timer.
import type { Duplex } from 'node:stream';
import { WebSocketError } from './errors.js';
import type { ConnectionLimits } from './options.js';

/** What flow control asks of its connection (websocket.ts). */
export interface FlowOwner {
  readonly bufferedAmount: number;
  _fail(err: WebSocketError): void;
  /** The output is back under the bound; `pong` is the payload of the latest ping left unanswered. */
  _relieved(pong: Buffer | null): void;
}

export class FlowControl {
  private readonly socket: Duplex;
  private readonly limits: ConnectionLimits;
  private readonly owner: FlowOwner;
  private userPaused = false;
  private over = false;
  private pendingPong: Buffer | null = null;
  private backpressureTimer: NodeJS.Timeout | null = null;
  private fragmentTimer: NodeJS.Timeout | null = null;

  constructor(socket: Duplex, limits: ConnectionLimits, owner: FlowOwner) {
    this.socket = socket;
    this.limits = limits;
    this.owner = owner;
  }

  /** The output is above maxBufferedAmount: reading is paused, pongs are held. */
  get backpressured(): boolean {
    return this.over;
  }

  /** The user's pause(): reading stays paused until resume(), whatever the output does. */
  pause(): void {
    this.userPaused = true;
    this.socket.pause();
  }

  /** The user's resume(); reading restarts unless the output is still above the bound. */
  resume(): void {
    this.userPaused = false;
    if (!this.over) this.socket.resume();
  }

  /** Reading again to finish the closing handshake (the peer's close frame must be read). */
  resumeForClose(): void {
    this.userPaused = false;
    this.socket.resume();
  }

  /** RFC 6455 5.5.3: while backpressured only the latest ping is answered, once the output drains. */
  holdPong(data: Buffer): void {
    this.pendingPong = data;
  }

  /** Output grew or drained: pause above the bound, resume under it. */
  update(): void {
    const over = this.owner.bufferedAmount > this.limits.maxBufferedAmount;
    if (over === this.over) return;
    this.over = over;
    if (over) {
      this.socket.pause();
      this.backpressureTimer = setTimeout(
        FlowControl.backpressureExpired,
        this.limits.backpressureTimeout,
        this,
      );
      this.backpressureTimer.unref();
      return;
    }
    this.clearBackpressureTimer();
    if (!this.userPaused) this.socket.resume();
    const pong = this.pendingPong;
    this.pendingPong = null;
    this.owner._relieved(pong);
  }

  /** After each socket read: whether a data message is still incomplete. */
  messageProgress(inMessage: boolean): void {
    if (inMessage) {
      if (this.fragmentTimer !== null) return;
      this.fragmentTimer = setTimeout(FlowControl.fragmentExpired, this.limits.fragmentTimeout, this);
      this.fragmentTimer.unref();
    } else if (this.fragmentTimer !== null) {
      clearTimeout(this.fragmentTimer);
      this.fragmentTimer = null;
    }
  }

  /** The connection is closing or closed: no deadline applies any more. */
  stop(): void {
    this.clearBackpressureTimer();
    if (this.fragmentTimer !== null) clearTimeout(this.fragmentTimer);
    this.fragmentTimer = null;
    this.pendingPong = null;
  }

  private clearBackpressureTimer(): void {
    if (this.backpressureTimer !== null) clearTimeout(this.backpressureTimer);
    this.backpressureTimer = null;
  }

  private static backpressureExpired(self: FlowControl): void {
    self.backpressureTimer = null;
    // The output may have drained without a 'drain' reaching us yet: look again before failing.
    self.update();
    if (!self.over) return;
    self.stop();
    self.owner._fail(
      new WebSocketError(
        'WS_ERR_BACKPRESSURE_TIMEOUT',
        `the peer left over ${self.limits.maxBufferedAmount} bytes unread for ${self.limits.backpressureTimeout} ms`,
      ),
    );
  }

  private static fragmentExpired(self: FlowControl): void {
    self.fragmentTimer = null;
    self.stop();
    self.owner._fail(
      new WebSocketError(
        'WS_ERR_FRAGMENT_TIMEOUT',
        `a message was not completed within fragmentTimeout (${self.limits.fragmentTimeout} ms)`,
      ),
    );
  }
}
