// The last bytes of a permessage-deflate context (RFC 7692 7.1.1: with context takeover, each message may
// refer to the LZ77 window left by the previous ones). Kept so that an idle connection can drop its zlib
// stream and later recreate it with these bytes as the preset dictionary (RFC 1951 back-references count
// back from the current position, so the last N bytes are all a dictionary needs to be).
//
// A ring buffer that starts small and doubles up to its capacity: a connection that exchanged a few short
// messages holds a few hundred bytes, not a whole window, and pushing never allocates once full.

import { Buffer } from 'node:buffer';

const MIN_SIZE = 256;

export class HistoryRing {
  readonly capacity: number;
  #buf: Buffer | null = null;
  /** Next write position. While the buffer is smaller than capacity, content is linear: [0, size). */
  #end = 0;
  #size = 0;

  constructor(capacity: number, initial?: Buffer) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`history capacity must be an integer >= 1, got ${capacity}`);
    }
    this.capacity = capacity;
    if (initial !== undefined && initial.length > 0) this.push(initial);
  }

  /** Bytes held (at most capacity). */
  get size(): number {
    return this.#size;
  }

  /** Bytes allocated (grows by doubling up to capacity). */
  get allocated(): number {
    return this.#buf?.length ?? 0;
  }

  push(data: Uint8Array): void {
    const len = data.length;
    if (len === 0) return;
    const cap = this.capacity;
    if (len >= cap) {
      const buf = this.#ensure(cap);
      buf.set(data.subarray(len - cap), 0);
      this.#end = 0;
      this.#size = cap;
      return;
    }
    const needed = this.#size + len;
    let buf = this.#buf;
    if (buf === null || (buf.length < cap && needed > buf.length)) {
      buf = this.#ensure(Math.min(cap, Math.max(needed, MIN_SIZE, (buf?.length ?? 0) * 2)));
    }
    const size = buf.length;
    const first = Math.min(len, size - this.#end);
    buf.set(data.subarray(0, first), this.#end);
    if (first < len) buf.set(data.subarray(first), 0);
    this.#end = (this.#end + len) % size;
    this.#size = Math.min(size, needed);
  }

  /** The bytes held, oldest first, as a new Buffer of exactly `size` bytes. */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.#size);
    const buf = this.#buf;
    if (buf === null || this.#size === 0) return out;
    const start = (this.#end - this.#size + buf.length) % buf.length;
    const first = Math.min(this.#size, buf.length - start);
    buf.copy(out, 0, start, start + first);
    if (first < this.#size) buf.copy(out, first, 0, this.#size - first);
    return out;
  }

  /** Grows the buffer to `size`, keeping the content linear at its start. */
  #ensure(size: number): Buffer {
    const old = this.#buf;
    if (old !== null && old.length >= size) return old;
    // Exact-size, unpooled: a small pooled slice would pin a whole 8 KB pool slab per connection.
    const buf = Buffer.allocUnsafeSlow(size);
    if (old !== null && this.#size > 0) {
      const content = this.toBuffer();
      content.copy(buf, 0);
    }
    this.#end = this.#size % size;
    this.#buf = buf;
    return buf;
  }
}
