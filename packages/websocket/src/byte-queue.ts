// The receiver's input queue: Buffer chunks exactly as they came off the socket, read from the front.
// Header fields are read in place from the first chunk (no slice per field); only a span that crosses
// chunks is copied.

import { Buffer } from 'node:buffer';

export class ByteQueue {
  private buffers: Buffer[] = [];
  private bytes = 0;
  /** Read position inside buffers[0]. */
  private offset = 0;

  /** Bytes queued and not yet taken. */
  get length(): number {
    return this.bytes;
  }

  push(chunk: Buffer): void {
    this.buffers.push(chunk);
    this.bytes += chunk.length;
  }

  /** Puts `chunk` in front of everything queued (bytes that were read before the queued ones). */
  unshift(chunk: Buffer): void {
    if (this.offset !== 0) {
      // Keep the invariant that `offset` belongs to buffers[0].
      this.buffers[0] = this.buffers[0]!.subarray(this.offset);
      this.offset = 0;
    }
    this.buffers.unshift(chunk);
    this.bytes += chunk.length;
  }

  /** Drops everything queued. */
  clear(): void {
    this.buffers = [];
    this.bytes = 0;
    this.offset = 0;
  }

  /**
   * Once everything is consumed, length 0 lets V8 drop the array's backing store, so an idle connection does
   * not keep the capacity its busiest moment needed.
   */
  compact(): void {
    if (this.bytes === 0) this.buffers.length = 0;
  }

  /**
   * Takes `n` bytes off the front; `n` must not exceed length. Within one chunk this is a view (no copy);
   * only a span across chunks is copied.
   */
  take(n: number): Buffer {
    this.bytes -= n;
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

  /** Takes a big-endian 16-bit number off the front; length must be at least 2. */
  takeUInt16(): number {
    if (this.buffers[0]!.length - this.offset < 2) return this.take(2).readUInt16BE(0);
    const value = this.buffers[0]!.readUInt16BE(this.offset);
    this.skip(2);
    return value;
  }

  /** Takes a big-endian 32-bit number off the front; length must be at least 4. */
  takeUInt32(): number {
    if (this.buffers[0]!.length - this.offset < 4) return this.take(4).readUInt32BE(0);
    const value = this.buffers[0]!.readUInt32BE(this.offset);
    this.skip(4);
    return value;
  }

  /** Drops `n` bytes known to sit in the first chunk. */
  private skip(n: number): void {
    this.bytes -= n;
    this.offset += n;
    if (this.offset === this.buffers[0]!.length) {
      this.buffers.shift();
      this.offset = 0;
    }
  }
}
