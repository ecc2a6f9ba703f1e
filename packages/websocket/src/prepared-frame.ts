// A message framed once for many connections: the frame header (RFC 6455 5.2, unmasked, as a server sends)
// and the payload as a list of buffers that are written as they are, never copied. One large publish to many
// subscribers then costs one payload in memory, not one per connection: every connection writes the same
// Buffer objects (DESIGN.md "Encode once"). A batch can be built from shared pieces too (`[`, a, `,`, b, `]`).

import { Buffer } from 'node:buffer';
import { encodeFrameHeader, OPCODE } from './frame.js';

export class PreparedFrame {
  /** The frame header for `length` payload bytes (FIN set, RSV1 clear, no mask). */
  readonly header: Buffer;
  /** The payload, in order; shared with every connection it is sent to: never modify these buffers. */
  readonly payload: readonly Buffer[];
  /** Payload bytes (the sum of the pieces). */
  readonly length: number;
  readonly binary: boolean;

  /**
   * @param payload One buffer, or pieces whose concatenation is the message (text: valid UTF-8 as a whole).
   * @param binary A binary message; default false (text).
   */
  constructor(payload: Buffer | readonly Buffer[], binary = false) {
    const pieces = Buffer.isBuffer(payload) ? [payload] : [...payload];
    let length = 0;
    for (const piece of pieces) length += piece.length;
    this.payload = pieces;
    this.length = length;
    this.binary = binary;
    this.header = encodeFrameHeader(binary ? OPCODE.BINARY : OPCODE.TEXT, length);
  }

  /** Header and payload in one Buffer, made on first use and kept (see joined()). */
  #joined: Buffer | undefined;

  /**
   * Header and payload in ONE Buffer, made once for every connection this frame goes to: a small frame is
   * then one write() per connection instead of a corked writev of two or more pieces (Node's writev path
   * allocates a request per piece and an array per call: most of the send's JS cost for a small frame).
   * Only worth it for small frames (the copy doubles the frame's memory, once): the sender asks for it
   * below its zero-copy threshold.
   */
  joined(): Buffer {
    this.#joined ??= Buffer.concat([this.header, ...this.payload], this.header.length + this.length);
    return this.#joined;
  }

  /** The payload as one buffer (a copy when there are several pieces): for masked or compressed sends. */
  concat(): Buffer {
    return this.payload.length === 1 ? (this.payload[0] as Buffer) : Buffer.concat(this.payload, this.length);
  }
}
