// RFC 6455 5.4: a data message is assembled from its frames (control frames may come between them). This
// holds the message in progress: its opcode, the limits summed over its frames, its payload pieces, and
// the incremental UTF-8 check of a text message, so an invalid byte fails the connection as soon as it
// arrives (Autobahn 6.4.x strict). The receiver's state machine (receiver.ts) feeds it.

import { Buffer } from 'node:buffer';
import { WebSocketError } from './errors.js';
import { OPCODE } from './frame.js';
import { isValidUtf8, Utf8Validator } from './utf8.js';

export interface ReceiverLimits {
  /** Largest message, summed over its frames (compressed size here; the inflater caps the inflated size). */
  maxPayload: number;
  /** Most frames in one message (endless empty continuation frames cost CPU while buffering nothing). */
  maxFragments: number;
  /** Most separate payload pieces held for one message (a peer trickling bytes makes many small Buffers). */
  maxBufferedChunks: number;
}

export const EMPTY: Buffer = Buffer.alloc(0);

export function invalidUtf8(): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8');
}

export class MessageAssembly {
  private readonly limits: ReceiverLimits;
  /** Opcode of the message in progress (TEXT or BINARY), 0 when none. */
  private op = 0;
  private deflated = false;
  private length = 0;
  private fragments = 0;
  private chunks: Buffer[] | null = null;
  /** The current frame's compressed pieces (RFC 7692 7.2.2: inflated a frame at a time). */
  private frameChunks: Buffer[] | null = null;
  private utf8: Utf8Validator | null = null;
  private textChecked = false;

  constructor(limits: ReceiverLimits) {
    this.limits = limits;
  }

  /** The opcode of the message in progress, 0 when none has begun. */
  get opcode(): number {
    return this.op;
  }

  /** The message in progress is compressed (RSV1 on its first frame, RFC 7692 6). */
  get compressed(): boolean {
    return this.deflated;
  }

  /** No payload piece is held yet. */
  get empty(): boolean {
    return this.chunks === null;
  }

  begin(opcode: number, compressed: boolean): void {
    this.op = opcode;
    this.deflated = compressed;
  }

  /** Counts a frame of the message; limits are checked on the declared length, before a byte is buffered. */
  addFrame(payloadLength: number): WebSocketError | null {
    this.length += payloadLength;
    if (this.length > this.limits.maxPayload) {
      return new WebSocketError(
        'WS_ERR_MESSAGE_TOO_BIG',
        `message exceeds maxPayload (${this.limits.maxPayload} bytes)`,
      );
    }
    if (++this.fragments > this.limits.maxFragments) {
      return new WebSocketError(
        'WS_ERR_TOO_MANY_FRAGMENTS',
        `message has more than ${this.limits.maxFragments} frames`,
      );
    }
    return null;
  }

  /**
   * Adds a piece of (uncompressed or inflated) payload. Text is checked incrementally unless `whole` says
   * the piece is the entire message, which deliver() then checks in a single native call.
   */
  addPiece(piece: Buffer, whole: boolean): WebSocketError | null {
    if (this.op === OPCODE.TEXT && !whole) {
      this.textChecked = true;
      if (!(this.utf8 ??= new Utf8Validator()).write(piece)) return invalidUtf8();
    }
    if (this.chunks === null) this.chunks = [piece];
    else if (this.chunks.push(piece) > this.limits.maxBufferedChunks) return tooManyChunks(this.limits);
    return null;
  }

  /** Holds a piece of the current compressed frame until the frame is complete. */
  addCompressedPiece(piece: Buffer): WebSocketError | null {
    (this.frameChunks ??= []).push(piece);
    return this.frameChunks.length > this.limits.maxBufferedChunks ? tooManyChunks(this.limits) : null;
  }

  /** The current compressed frame's payload, in one Buffer. */
  takeCompressedFrame(): Buffer {
    const parts = this.frameChunks;
    this.frameChunks = null;
    return parts === null ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /**
   * Ends the message: its payload, or null when it is text and not valid UTF-8 (RFC 6455 8.1). On success
   * the assembly is ready for the next message.
   */
  finish(): Buffer | null {
    const chunks = this.chunks;
    const data = chunks === null ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    if (this.op === OPCODE.TEXT) {
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
      if (!ok) return null;
    }
    this.op = 0;
    this.deflated = false;
    this.length = 0;
    this.fragments = 0;
    this.chunks = null;
    return data;
  }

  /** Drops the pieces held (the connection is going away). */
  clear(): void {
    this.chunks = null;
    this.frameChunks = null;
  }
}

function tooManyChunks(limits: ReceiverLimits): WebSocketError {
  return new WebSocketError(
    'WS_ERR_TOO_MANY_CHUNKS',
    `message arrived in more than ${limits.maxBufferedChunks} pieces (maxBufferedChunks)`,
  );
}
