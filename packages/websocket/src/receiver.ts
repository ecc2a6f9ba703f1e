// RFC 6455 5.2-5.6: an incremental frame parser. It is fed Buffer chunks exactly as they come off the
// socket, keeps no timers and does no I/O, and reports to a typed sink. Text payloads are unmasked and
// UTF-8-checked as each piece arrives, so an invalid byte fails the connection without waiting for the rest
// of the frame (Autobahn 6.4.x strict).
//
// This file is the state machine; the input queue is byte-queue.ts, the header checks frame-header.ts,
// the message in progress message-assembly.ts, the fast path's frame test small-frame.ts.
//
// The parser unmasks payloads in place: chunks written to it are mutated.

import { ByteQueue } from './byte-queue.js';
import { decodeClosePayload } from './close-payload.js';
import { WebSocketError } from './errors.js';
import { applyMaskBytes, OPCODE } from './frame.js';
import { headerError, length64Error } from './frame-header.js';
import { EMPTY, invalidUtf8, MessageAssembly, type ReceiverLimits } from './message-assembly.js';
import { wholeSmallFrame } from './small-frame.js';
import { isValidUtf8 } from './utf8.js';

export type { ReceiverLimits } from './message-assembly.js';

export interface ReceiverSink {
  /** A complete message; text messages are already known to be valid UTF-8. */
  onMessage(data: Buffer, isBinary: boolean): void;
  onPing(data: Buffer): void;
  onPong(data: Buffer): void;
  /** A close frame: `code` is 1005 when the frame had no body (RFC 6455 7.1.5). */
  onClose(code: number, reason: Buffer): void;
  onError(err: WebSocketError): void;
}

/** The part of permessage-deflate the receiver needs (RFC 7692 7.2.2). */
export interface Inflater {
  decompress(data: Buffer, fin: boolean, cb: (err: Error | null, result?: Buffer) => void): void;
}

const STATE = {
  INFO: 0,
  LENGTH_16: 1,
  LENGTH_64: 2,
  MASK: 3,
  DATA: 4,
  INFLATING: 5,
  /** A close frame arrived or the connection failed: RFC 6455 5.5.1, nothing after a close is processed. */
  DONE: 6,
} as const;
type State = (typeof STATE)[keyof typeof STATE];

export class Receiver {
  private readonly sink: ReceiverSink;
  private readonly isServer: boolean;
  private readonly limits: ReceiverLimits;
  private readonly inflater: Inflater | null;

  private state: State = STATE.INFO;
  private readonly queue = new ByteQueue();
  private looping = false;

  // Current frame.
  private fin = false;
  private opcode = 0;
  private masked = false;
  private payloadLength = 0;
  private remaining = 0;
  /** The masking key as a 32-bit big-endian number (four fields would cost 24 more bytes per connection). */
  private maskKey = 0;

  /** Current message (data frames only; control frames may come between its fragments, RFC 6455 5.4). */
  private readonly message: MessageAssembly;

  constructor(
    sink: ReceiverSink,
    isServer: boolean,
    limits: ReceiverLimits,
    inflater: Inflater | null = null,
  ) {
    this.sink = sink;
    this.isServer = isServer;
    this.limits = limits;
    this.inflater = inflater;
    this.message = new MessageAssembly(limits);
  }

  /** Feeds bytes from the wire. */
  write(chunk: Buffer): void {
    if (this.state === STATE.DONE || chunk.length === 0) return;
    if (this.queue.length === 0 && this.state === STATE.INFO && this.message.opcode === 0 && !this.looping) {
      // Nothing held and no message begun: whole small frames at the head of the chunk are delivered
      // straight from it (wholeSmallFrame), with no chunk queue and no payload array.
      const from = this.readWholeFrames(chunk);
      if (from === chunk.length || (this.state as State) === STATE.DONE) return;
      chunk = from === 0 ? chunk : chunk.subarray(from);
    }
    this.queue.push(chunk);
    if (!this.looping && this.state !== STATE.INFLATING) this.run();
  }

  /**
   * A data message has begun (its first frame header was read) and is not delivered yet: between its
   * fragments, inside a frame whose payload is still arriving, or while it inflates.
   */
  get inMessage(): boolean {
    return this.message.opcode !== 0 && this.state !== STATE.DONE;
  }

  /**
   * No byte held and no data message begun: a fresh receiver would be in the same state, so this one may go
   * until the next read (WebSocket.compact()). False once stopped.
   */
  get idle(): boolean {
    return this.state === STATE.INFO && this.queue.length === 0 && this.message.opcode === 0;
  }

  /** Drops everything buffered and ignores further input (the connection is going away). */
  stop(): void {
    this.state = STATE.DONE;
    this.queue.clear();
    this.message.clear();
  }

  /**
   * The fast path of write(): delivers every whole small data frame at the head of `chunk` (header and
   * payload in it, FIN set, no RSV bit, not compressed) and returns the offset of the first byte it did not
   * take, which the state machine then parses as usual (a frame of any other kind, or one cut off by the
   * end of the chunk). Bytes written to the receiver meanwhile (by a handler) queue behind the rest.
   */
  private readWholeFrames(chunk: Buffer): number {
    let off = 0;
    this.looping = true;
    try {
      while (off < chunk.length) {
        const header = wholeSmallFrame(chunk, off, this.isServer, this.limits.maxPayload);
        if (header === 0) break;
        const start = off + header;
        const end = start + (chunk[off + 1]! & 0x7f);
        const isText = (chunk[off]! & 0x0f) === OPCODE.TEXT;
        const payload = start === end ? EMPTY : chunk.subarray(start, end);
        // RFC 6455 5.3: the masking key is the 4 bytes before the payload.
        if (header === 6 && start !== end) {
          applyMaskBytes(
            payload,
            0,
            payload.length,
            chunk[start - 4]!,
            chunk[start - 3]!,
            chunk[start - 2]!,
            chunk[start - 1]!,
            0,
          );
        }
        off = end;
        // RFC 6455 8.1: a text message that is not valid UTF-8 fails the connection (1007).
        if (isText && !isValidUtf8(payload)) {
          this.fail(invalidUtf8());
          return off;
        }
        this.sink.onMessage(payload, !isText);
        if ((this.state as State) === STATE.DONE) return off;
      }
    } finally {
      this.looping = false;
    }
    // A handler's write (while looping) queued bytes that come after the rest of this chunk.
    if (this.queue.length > 0) {
      if (off < chunk.length) this.queue.unshift(off === 0 ? chunk : chunk.subarray(off));
      this.run();
      return chunk.length;
    }
    return off;
  }

  private run(): void {
    this.looping = true;
    try {
      let progress = true;
      while (progress) {
        switch (this.state) {
          case STATE.INFO:
            progress = this.readInfo();
            break;
          case STATE.LENGTH_16:
            progress = this.readLength16();
            break;
          case STATE.LENGTH_64:
            progress = this.readLength64();
            break;
          case STATE.MASK:
            progress = this.readMask();
            break;
          case STATE.DATA:
            progress = this.readData();
            break;
          default:
            progress = false;
        }
      }
    } finally {
      this.looping = false;
      this.queue.compact();
    }
  }

  private fail(err: WebSocketError): false {
    this.stop();
    this.sink.onError(err);
    return false;
  }

  private readInfo(): boolean {
    if (this.queue.length < 2) return false;
    const two = this.queue.takeUInt16();
    const b0 = two >>> 8;
    const b1 = two & 0xff;
    const err = headerError(b0, b1, this.message.opcode, this.inflater !== null, this.isServer);
    if (err !== null) return this.fail(err);
    this.fin = (b0 & 0x80) !== 0;
    this.opcode = b0 & 0x0f;
    this.masked = (b1 & 0x80) !== 0;
    this.payloadLength = b1 & 0x7f;
    // The first frame of a data message begins it (headerError ruled out one already in progress).
    if (this.opcode === OPCODE.TEXT || this.opcode === OPCODE.BINARY) {
      this.message.begin(this.opcode, (b0 & 0x40) !== 0);
    }
    if (this.payloadLength === 126) this.state = STATE.LENGTH_16;
    else if (this.payloadLength === 127) this.state = STATE.LENGTH_64;
    else return this.lengthKnown();
    return true;
  }

  private readLength16(): boolean {
    if (this.queue.length < 2) return false;
    this.payloadLength = this.queue.takeUInt16();
    return this.lengthKnown();
  }

  private readLength64(): boolean {
    if (this.queue.length < 8) return false;
    const buf = this.queue.take(8);
    const high = buf.readUInt32BE(0);
    const err = length64Error(high);
    if (err !== null) return this.fail(err);
    this.payloadLength = high * 0x100000000 + buf.readUInt32BE(4);
    return this.lengthKnown();
  }

  private lengthKnown(): boolean {
    if (this.opcode < 0x8) {
      const err = this.message.addFrame(this.payloadLength);
      if (err !== null) return this.fail(err);
    }
    this.remaining = this.payloadLength;
    this.state = this.masked ? STATE.MASK : STATE.DATA;
    return true;
  }

  private readMask(): boolean {
    if (this.queue.length < 4) return false;
    this.maskKey = this.queue.takeUInt32();
    this.state = STATE.DATA;
    return true;
  }

  private readData(): boolean {
    if (this.opcode >= 0x8) {
      // Control frames are small: wait for the whole payload.
      if (this.queue.length < this.payloadLength) return false;
      const payload = this.payloadLength === 0 ? EMPTY : this.queue.take(this.payloadLength);
      if (this.masked) this.unmask(payload, 0);
      this.state = STATE.INFO;
      return this.control(payload);
    }
    if (this.remaining > 0) {
      const available = this.queue.length;
      if (available === 0) return false;
      const phase = this.payloadLength - this.remaining;
      const piece = this.queue.take(Math.min(available, this.remaining));
      this.remaining -= piece.length;
      if (this.masked) this.unmask(piece, phase);
      let err: WebSocketError | null;
      if (this.message.compressed) {
        err = this.message.addCompressedPiece(piece);
      } else {
        // Single-piece, single-frame text message: validated natively once, by finish().
        err = this.message.addPiece(piece, this.fin && this.message.empty && this.remaining === 0);
      }
      if (err !== null) return this.fail(err);
      if (this.remaining > 0) return true;
    }
    return this.frameDone();
  }

  private unmask(buf: Buffer, phase: number): void {
    const k = this.maskKey;
    applyMaskBytes(buf, 0, buf.length, k >>> 24, (k >>> 16) & 0xff, (k >>> 8) & 0xff, k & 0xff, phase);
  }

  private frameDone(): boolean {
    this.state = STATE.INFO;
    if (this.message.compressed) return this.inflate();
    if (!this.fin) return true;
    return this.deliver();
  }

  private inflate(): boolean {
    const data = this.message.takeCompressedFrame();
    const fin = this.fin;
    this.state = STATE.INFLATING;
    let sync = true;
    this.inflater!.decompress(data, fin, (err, result) => {
      if (this.state !== STATE.INFLATING) return; // stopped meanwhile
      if (err) {
        this.fail(
          err instanceof WebSocketError ? err : new WebSocketError('WS_ERR_INFLATE_FAILED', err.message),
        );
        return;
      }
      this.state = STATE.INFO;
      if (result !== undefined && result.length > 0) {
        const pieceErr = this.message.addPiece(result, false);
        if (pieceErr !== null) {
          this.fail(pieceErr);
          return;
        }
      }
      if (fin && !this.deliver()) return;
      if (!sync && !this.looping) this.run();
    });
    sync = false;
    // If the inflater answered synchronously the loop simply carries on.
    return (this.state as State) === STATE.INFO;
  }

  private deliver(): boolean {
    const isText = this.message.opcode === OPCODE.TEXT;
    const data = this.message.finish();
    if (data === null) return this.fail(invalidUtf8());
    this.sink.onMessage(data, !isText);
    return this.state !== STATE.DONE;
  }

  private control(payload: Buffer): boolean {
    if (this.opcode === OPCODE.PING) {
      this.sink.onPing(payload);
      return this.state !== STATE.DONE;
    }
    if (this.opcode === OPCODE.PONG) {
      this.sink.onPong(payload);
      return this.state !== STATE.DONE;
    }
    const decoded = decodeClosePayload(payload);
    this.stop();
    if (decoded instanceof WebSocketError) this.sink.onError(decoded);
    else this.sink.onClose(decoded.code, decoded.reason);
    return false;
  }
}
