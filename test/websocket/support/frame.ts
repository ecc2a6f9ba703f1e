// The conformance suite's own RFC 6455 frame codec, written independently of packages/websocket so that
// the suite can judge that implementation (and `ws`) without sharing its bugs. Byte layout: RFC 6455 5.2.
import { randomBytes } from 'node:crypto';

export const OP = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  /** Defaults to true. */
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** true: a random key; a 4-byte Buffer: that key; false/undefined: unmasked. */
  mask?: boolean | Uint8Array;
}

export interface Frame {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  /** The payload, already unmasked. */
  payload: Buffer;
  /** The exact bytes as they arrived on the wire (header, mask key and masked payload). */
  raw: Buffer;
}

export function toBuffer(data: Uint8Array | string | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
}

/** XOR `data` with the 4-byte key in place (RFC 6455 5.3); returns `data`. */
export function applyMask(data: Buffer, key: Uint8Array): Buffer {
  for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) ^ (key[i & 3] as number);
  return data;
}

/** Encode one frame exactly as specified, including specs that are invalid on purpose. */
export function buildFrame(spec: FrameSpec): Buffer {
  const payload = toBuffer(spec.payload);
  const len = payload.length;
  // RFC 6455 5.2: 7-bit length up to 125, 126 + 16-bit, 127 + 64-bit (most significant bit 0).
  const lenBytes = len < 126 ? 0 : len < 0x10000 ? 2 : 8;
  const key = spec.mask === true ? randomBytes(4) : spec.mask instanceof Uint8Array ? spec.mask : undefined;
  const header = Buffer.alloc(2 + lenBytes + (key ? 4 : 0));
  header[0] =
    ((spec.fin ?? true) ? 0x80 : 0) |
    (spec.rsv1 ? 0x40 : 0) |
    (spec.rsv2 ? 0x20 : 0) |
    (spec.rsv3 ? 0x10 : 0) |
    (spec.opcode & 0x0f);
  header[1] = (key ? 0x80 : 0) | (lenBytes === 0 ? len : lenBytes === 2 ? 126 : 127);
  if (lenBytes === 2) header.writeUInt16BE(len, 2);
  else if (lenBytes === 8) header.writeBigUInt64BE(BigInt(len), 2);
  if (!key) return Buffer.concat([header, payload]);
  Buffer.from(key).copy(header, 2 + lenBytes);
  return Buffer.concat([header, applyMask(Buffer.from(payload), key)]);
}

/** RFC 6455 5.5.1: a close body is empty or a 2-byte big-endian code followed by a UTF-8 reason. */
export function closePayload(code?: number, reason: Uint8Array | string = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code, 0);
  return Buffer.concat([head, toBuffer(reason)]);
}

export class FrameFormatError extends Error {
  override name = 'FrameFormatError';
}

/**
 * Incremental frame parser: feed it chunks of any size, it returns the complete frames. It checks only
 * what it needs to find frame boundaries; judging the frames is the test cases' job.
 */
export class FrameParser {
  // Chunks are kept as received and joined once per frame, so a 4 MiB frame arriving in 64 KiB reads costs
  // one copy, not one per read.
  private chunks: Buffer[] = [];
  private total = 0;

  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.total += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  /** Bytes received that do not yet form a whole frame. */
  get pending(): number {
    return this.total;
  }

  /** The first `n` buffered bytes as one Buffer (n <= total), without consuming them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  /** Remove and return the first `n` buffered bytes (n <= total). */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = this.chunks[0] as Buffer;
      const need = n - filled;
      if (head.length <= need) {
        head.copy(out, filled);
        filled += head.length;
        this.chunks.shift();
      } else {
        head.copy(out, filled, 0, need);
        this.chunks[0] = head.subarray(need);
        filled += need;
      }
    }
    this.total -= n;
    return out;
  }

  private next(): Frame | undefined {
    if (this.total < 2) return undefined;
    const head2 = this.peek(2);
    const b0 = head2[0] as number;
    const b1 = head2[1] as number;
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;
    let offset = 2;
    if (len === 126) {
      if (this.total < 4) return undefined;
      len = this.peek(4).readUInt16BE(2);
      offset = 4;
    } else if (len === 127) {
      if (this.total < 10) return undefined;
      const big = this.peek(10).readBigUInt64BE(2);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new FrameFormatError(`64-bit length ${big} too large`);
      len = Number(big);
      offset = 10;
    }
    const keyOffset = offset;
    if (masked) offset += 4;
    if (this.total < offset + len) return undefined;
    const raw = this.take(offset + len);
    const payload = Buffer.from(raw.subarray(offset));
    if (masked) applyMask(payload, raw.subarray(keyOffset, keyOffset + 4));
    return {
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      rsv2: (b0 & 0x20) !== 0,
      rsv3: (b0 & 0x10) !== 0,
      opcode: b0 & 0x0f,
      masked,
      payload,
      raw,
    };
  }
}

/** The close code carried by a close frame, or undefined for an empty body. */
export function closeCodeOf(frame: Frame): number | undefined {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : undefined;
}

export function describeFrame(frame: Frame): string {
  const flags = `${frame.fin ? 'F' : '-'}${frame.rsv1 ? '1' : '-'}${frame.rsv2 ? '2' : '-'}${frame.rsv3 ? '3' : '-'}`;
  const body =
    frame.payload.length > 32
      ? `${frame.payload.subarray(0, 32).toString('hex')}...`
      : frame.payload.toString('hex');
  return `[op=${frame.opcode} ${flags} mask=${frame.masked ? 1 : 0} len=${frame.payload.length} ${body}]`;
}
