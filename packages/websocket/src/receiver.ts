// RFC 6455 5.2-5.6: an incremental frame parser. It is fed Buffer chunks exactly as they come off the
// socket, keeps no timers and does no I/O, and reports to a typed sink. Text payloads are unmasked and
// UTF-8-checked as each piece arrives, so an invalid byte fails the connection without waiting for the rest
// of the frame (Autobahn 6.4.x strict).
//
// The parser unmasks payloads in place: chunks written to it are mutated.

import { decodeClosePayload } from './close-payload.js';
import { WebSocketError } from './errors.js';
import { applyMaskBytes, OPCODE } from './frame.js';
import { wholeSmallFrame } from './small-frame.js';
import { isValidUtf8, Utf8Validator } from './utf8.js';

export interface ReceiverSink {
  /** A complete message; text messages are already known to be valid UTF-8. */
  onMessage(data: Buffer, isBinary: boolean): void;
  onPing(data: Buffer): void;
  onPong(data: Buffer): void;
  /** A close frame: `code` is 1005 when the frame had no body (RFC 6455 7.1.5). */
  onClose(code: number, reason: Buffer): void;
  onError(err: WebSocketError): void;
}

export interface ReceiverLimits {
  /** Largest message, summed over its frames (compressed size here; the inflater caps the inflated size). */
  maxPayload: number;
  /** Most frames in one message (endless empty continuation frames cost CPU while buffering nothing). */
  maxFragments: number;
  /** Most separate payload pieces held for one message (a peer trickling bytes makes many small Buffers). */
  maxBufferedChunks: number;
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

const EMPTY: Buffer = Buffer.alloc(0);

export class Receiver {
  private readonly sink: ReceiverSink;
  private readonly isServer: boolean;
  private readonly limits: ReceiverLimits;
  private readonly inflater: Inflater | null;

  private state: State = STATE.INFO;
  private buffers: Buffer[] = [];
  private bufferedBytes = 0;
  /** Read position inside buffers[0] (header fields are read in place, without a slice per field). */
  private offset = 0;
  private looping = false;

  // Current frame.
  private fin = false;
  private opcode = 0;
  private masked = false;
  private payloadLength = 0;
  private remaining = 0;
  /** The masking key as a 32-bit big-endian number (four fields would cost 24 more bytes per connection). */
  private maskKey = 0;

  // Current message (data frames only; control frames may come between its fragments, RFC 6455 5.4).
  private messageOpcode = 0;
  private compressed = false;
  private messageLength = 0;
  private fragmentCount = 0;
  private chunks: Buffer[] | null = null;
  private frameChunks: Buffer[] | null = null;
  private utf8: Utf8Validator | null = null;
  private textChecked = false;

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
  }

  /** Feeds bytes from the wire. */
  write(chunk: Buffer): void {
    if (this.state === STATE.DONE || chunk.length === 0) return;
    if (this.bufferedBytes === 0 && this.state === STATE.INFO && this.messageOpcode === 0 && !this.looping) {
      // Nothing held and no message begun: whole small frames at the head of the chunk are delivered
      // straight from it (wholeSmallFrame), with no chunk queue and no payload array.
      const from = this.readWholeFrames(chunk);
      if (from === chunk.length || (this.state as State) === STATE.DONE) return;
      chunk = from === 0 ? chunk : chunk.subarray(from);
    }
    this.buffers.push(chunk);
    this.bufferedBytes += chunk.length;
    if (!this.looping && this.state !== STATE.INFLATING) this.run();
  }

  /**
   * A data message has begun (its first frame header was read) and is not delivered yet: between its
   * fragments, inside a frame whose payload is still arriving, or while it inflates.
   */
  get inMessage(): boolean {
    return this.messageOpcode !== 0 && this.state !== STATE.DONE;
  }

  /** Drops everything buffered and ignores further input (the connection is going away). */
  stop(): void {
    this.state = STATE.DONE;
    this.buffers = [];
    this.bufferedBytes = 0;
    this.offset = 0;
    this.chunks = null;
    this.frameChunks = null;
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
          this.fail('WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8');
          return off;
        }
        this.sink.onMessage(payload, !isText);
        if ((this.state as State) === STATE.DONE) return off;
      }
    } finally {
      this.looping = false;
    }
    // A handler's write (while looping) queued bytes that come after the rest of this chunk.
    if (this.bufferedBytes > 0) {
      if (off < chunk.length) {
        this.buffers.unshift(off === 0 ? chunk : chunk.subarray(off));
        this.bufferedBytes += chunk.length - off;
      }
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
      // Everything consumed: length 0 lets V8 drop the array's backing store, so an idle connection does not
      // keep the capacity its busiest moment needed.
      if (this.bufferedBytes === 0) this.buffers.length = 0;
    }
  }

  /**
   * Takes `n` bytes off the front of the buffered chunks; `n` must not exceed bufferedBytes. Within one chunk
   * this is a view (no copy); only a span across chunks is copied.
   */
  private consume(n: number): Buffer {
    this.bufferedBytes -= n;
    const first = this.buffers[0]!;
    const start = this.offset;
    const available = first.length - start;
    if (n <= available) {
      if (n === available) {
        this.buffers.shift();
        this.offset = 0;
        return start === 0 ? first : first.subarray(start);
      }
      this.offset = start + n;
      return first.subarray(start, start + n);
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    while (written < n) {
      const buf = this.buffers[0]!;
      const from = this.offset;
      const take = Math.min(buf.length - from, n - written);
      out.set(from === 0 && take === buf.length ? buf : buf.subarray(from, from + take), written);
      written += take;
      if (from + take === buf.length) {
        this.buffers.shift();
        this.offset = 0;
      } else {
        this.offset = from + take;
      }
    }
    return out;
  }

  /** Drops `n` bytes known to sit in the first chunk (header fields read in place). */
  private skip(n: number): void {
    this.bufferedBytes -= n;
    this.offset += n;
    if (this.offset === this.buffers[0]!.length) {
      this.buffers.shift();
      this.offset = 0;
    }
  }

  /** Bytes readable in place from the first chunk. */
  private inPlace(): number {
    return this.buffers[0]!.length - this.offset;
  }

  private fail(code: WebSocketError['code'], message: string): false {
    this.stop();
    this.sink.onError(new WebSocketError(code, message));
    return false;
  }

  private readInfo(): boolean {
    if (this.bufferedBytes < 2) return false;
    let b0: number;
    let b1: number;
    if (this.inPlace() >= 2) {
      const first = this.buffers[0]!;
      b0 = first[this.offset]!;
      b1 = first[this.offset + 1]!;
      this.skip(2);
    } else {
      const two = this.consume(2);
      b0 = two[0]!;
      b1 = two[1]!;
    }
    // RFC 6455 5.2: RSV2/RSV3 are never negotiated here; RSV1 only with permessage-deflate.
    if ((b0 & 0x30) !== 0) return this.fail('WS_ERR_UNEXPECTED_RSV_2_3', 'RSV2 and RSV3 must be clear');
    const rsv1 = (b0 & 0x40) !== 0;
    this.fin = (b0 & 0x80) !== 0;
    this.opcode = b0 & 0x0f;
    this.masked = (b1 & 0x80) !== 0;
    this.payloadLength = b1 & 0x7f;

    if (this.opcode === OPCODE.CONTINUATION) {
      if (this.messageOpcode === 0) {
        return this.fail(
          'WS_ERR_UNEXPECTED_CONTINUATION',
          'continuation frame without a message to continue',
        );
      }
      // RFC 7692 6: RSV1 is set on the first frame of a compressed message only.
      if (rsv1) return this.fail('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear on continuation frames');
    } else if (this.opcode === OPCODE.TEXT || this.opcode === OPCODE.BINARY) {
      if (this.messageOpcode !== 0) {
        return this.fail(
          'WS_ERR_EXPECTED_CONTINUATION',
          'new data frame before the fragmented message ended',
        );
      }
      if (rsv1 && this.inflater === null) {
        return this.fail('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear: no extension was negotiated');
      }
      this.messageOpcode = this.opcode;
      this.compressed = rsv1;
    } else if (this.opcode === OPCODE.CLOSE || this.opcode === OPCODE.PING || this.opcode === OPCODE.PONG) {
      // RFC 6455 5.5: control frames are never fragmented and carry at most 125 bytes.
      if (!this.fin) return this.fail('WS_ERR_EXPECTED_FIN', 'control frames must not be fragmented');
      if (rsv1) return this.fail('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear on control frames');
      if (this.payloadLength > 125) {
        return this.fail(
          'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
          'control frame payload longer than 125 bytes',
        );
      }
    } else {
      return this.fail('WS_ERR_INVALID_OPCODE', `reserved opcode 0x${this.opcode.toString(16)}`);
    }

    // RFC 6455 5.1: the server refuses unmasked frames, the client refuses masked ones.
    if (this.isServer && !this.masked)
      return this.fail('WS_ERR_EXPECTED_MASK', 'client frames must be masked');
    if (!this.isServer && this.masked)
      return this.fail('WS_ERR_UNEXPECTED_MASK', 'server frames must not be masked');

    if (this.payloadLength === 126) this.state = STATE.LENGTH_16;
    else if (this.payloadLength === 127) this.state = STATE.LENGTH_64;
    else return this.lengthKnown();
    return true;
  }

  private readLength16(): boolean {
    if (this.bufferedBytes < 2) return false;
    if (this.inPlace() >= 2) {
      this.payloadLength = this.buffers[0]!.readUInt16BE(this.offset);
      this.skip(2);
    } else {
      this.payloadLength = this.consume(2).readUInt16BE(0);
    }
    return this.lengthKnown();
  }

  private readLength64(): boolean {
    if (this.bufferedBytes < 8) return false;
    const buf = this.consume(8);
    const high = buf.readUInt32BE(0);
    // RFC 6455 5.2: "the most significant bit MUST be 0".
    if (high & 0x80000000)
      return this.fail('WS_ERR_INVALID_PAYLOAD_LENGTH', '64-bit payload length with MSB set');
    if (high > 0x1fffff) {
      return this.fail(
        'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
        'payload length above 2^53 - 1 is not supported',
      );
    }
    this.payloadLength = high * 0x100000000 + buf.readUInt32BE(4);
    return this.lengthKnown();
  }

  private lengthKnown(): boolean {
    if (this.opcode < 0x8) {
      // Limits are checked on the declared length, before a byte of payload is buffered.
      this.messageLength += this.payloadLength;
      if (this.messageLength > this.limits.maxPayload) {
        return this.fail(
          'WS_ERR_MESSAGE_TOO_BIG',
          `message exceeds maxPayload (${this.limits.maxPayload} bytes)`,
        );
      }
      if (++this.fragmentCount > this.limits.maxFragments) {
        return this.fail(
          'WS_ERR_TOO_MANY_FRAGMENTS',
          `message has more than ${this.limits.maxFragments} frames`,
        );
      }
    }
    this.remaining = this.payloadLength;
    this.state = this.masked ? STATE.MASK : STATE.DATA;
    return true;
  }

  private readMask(): boolean {
    if (this.bufferedBytes < 4) return false;
    if (this.inPlace() >= 4) {
      this.maskKey = this.buffers[0]!.readUInt32BE(this.offset);
      this.skip(4);
    } else {
      this.maskKey = this.consume(4).readUInt32BE(0);
    }
    this.state = STATE.DATA;
    return true;
  }

  private readData(): boolean {
    if (this.opcode >= 0x8) {
      // Control frames are small: wait for the whole payload.
      if (this.bufferedBytes < this.payloadLength) return false;
      const payload = this.payloadLength === 0 ? EMPTY : this.consume(this.payloadLength);
      if (this.masked) this.unmask(payload, 0);
      this.state = STATE.INFO;
      return this.control(payload);
    }
    if (this.remaining > 0) {
      if (this.bufferedBytes === 0) return false;
      const phase = this.payloadLength - this.remaining;
      const piece = this.consume(Math.min(this.bufferedBytes, this.remaining));
      this.remaining -= piece.length;
      if (this.masked) this.unmask(piece, phase);
      if (this.compressed) {
        (this.frameChunks ??= []).push(piece);
        if (this.frameChunks.length > this.limits.maxBufferedChunks) return this.tooManyChunks();
      } else {
        // Single-piece, single-frame text message: validated natively once, below.
        const whole = this.fin && this.chunks === null && this.remaining === 0;
        if (this.messageOpcode === OPCODE.TEXT && !whole && !this.checkUtf8(piece)) return false;
        if (!this.pushChunk(piece)) return false;
      }
      if (this.remaining > 0) return true;
    }
    return this.frameDone();
  }

  private unmask(buf: Buffer, phase: number): void {
    const k = this.maskKey;
    applyMaskBytes(buf, 0, buf.length, k >>> 24, (k >>> 16) & 0xff, (k >>> 8) & 0xff, k & 0xff, phase);
  }

  private checkUtf8(piece: Buffer): boolean {
    this.textChecked = true;
    if ((this.utf8 ??= new Utf8Validator()).write(piece)) return true;
    this.fail('WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8');
    return false;
  }

  private pushChunk(piece: Buffer): boolean {
    if (this.chunks === null) this.chunks = [piece];
    else if (this.chunks.push(piece) > this.limits.maxBufferedChunks) return this.tooManyChunks();
    return true;
  }

  private tooManyChunks(): false {
    return this.fail(
      'WS_ERR_TOO_MANY_CHUNKS',
      `message arrived in more than ${this.limits.maxBufferedChunks} pieces (maxBufferedChunks)`,
    );
  }

  private frameDone(): boolean {
    this.state = STATE.INFO;
    if (this.compressed) return this.inflate();
    if (!this.fin) return true;
    return this.deliver();
  }

  private inflate(): boolean {
    const parts = this.frameChunks;
    this.frameChunks = null;
    const data = parts === null ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const fin = this.fin;
    this.state = STATE.INFLATING;
    let sync = true;
    this.inflater!.decompress(data, fin, (err, result) => {
      if (this.state !== STATE.INFLATING) return; // stopped meanwhile
      if (err) {
        this.stop();
        this.sink.onError(
          err instanceof WebSocketError ? err : new WebSocketError('WS_ERR_INFLATE_FAILED', err.message),
        );
        return;
      }
      this.state = STATE.INFO;
      if (result !== undefined && result.length > 0) {
        if (this.messageOpcode === OPCODE.TEXT && !this.checkUtf8(result)) return;
        if (!this.pushChunk(result)) return;
      }
      if (fin && !this.deliver()) return;
      if (!sync && !this.looping) this.run();
    });
    sync = false;
    // If the inflater answered synchronously the loop simply carries on.
    return (this.state as State) === STATE.INFO;
  }

  private deliver(): boolean {
    const chunks = this.chunks;
    const isText = this.messageOpcode === OPCODE.TEXT;
    const data = chunks === null ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    if (isText) {
      // Pieces checked incrementally must end on a code point boundary; a message that arrived as one
      // piece is checked here in a single native call.
      let ok: boolean;
      if (this.textChecked) {
        ok = this.utf8!.complete;
        this.utf8!.reset();
        this.textChecked = false;
      } else {
        ok = isValidUtf8(data);
      }
      if (!ok) return this.fail('WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8');
    }
    this.messageOpcode = 0;
    this.compressed = false;
    this.messageLength = 0;
    this.fragmentCount = 0;
    this.chunks = null;
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
    if (decoded instanceof WebSocketError) {
      this.stop();
      this.sink.onError(decoded);
      return false;
    }
    this.stop();
    this.sink.onClose(decoded.code, decoded.reason);
    return false;
  }
}
