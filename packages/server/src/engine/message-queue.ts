// A per-client FIFO of encoded messages with their sizes: arrays with a head index, so taking the oldest is
// O(1) (no Array#shift, which is O(n) on large arrays) and draining hands the array over without copying
// when the head is at 0. The dead prefix is compacted once it is both large and at least half the array.
// `bytes` is the sum of the UTF-8 sizes (computed once per publish by the engine), so a queue is bounded in
// bytes as well as in count, and a bounded take stops at a byte budget.

import type { EncodedMessage } from './engine.js';

const COMPACT_AT = 1024;

/**
 * What an empty queue points at instead of two fresh arrays: a queue that exists may still be empty most of
 * its life (drained after every delivery). Never written to, never handed out (drain() returns a new array).
 */
const NONE = Object.freeze([]) as never[];

export class MessageQueue {
  private items: EncodedMessage[] = NONE;
  private sizes: number[] = NONE;
  private head = 0;
  /** Sum of the UTF-8 sizes of the queued messages. */
  bytes = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends one message of `size` UTF-8 bytes. */
  push(item: EncodedMessage, size: number): void {
    if (this.items === NONE) {
      this.items = [];
      this.sizes = [];
    }
    this.items.push(item);
    this.sizes.push(size);
    this.bytes += size;
  }

  /** Puts `items` (with their sizes) before everything queued, in their order. */
  unshift(items: readonly EncodedMessage[], sizes: readonly number[]): void {
    if (items.length === 0) return;
    let added = 0;
    for (const size of sizes) added += size;
    this.bytes += added;
    if (items.length <= this.head) {
      // Reuse the dead prefix: no copy of the live part.
      this.head -= items.length;
      for (let i = 0; i < items.length; i++) {
        this.items[this.head + i] = items[i] as EncodedMessage;
        this.sizes[this.head + i] = sizes[i] as number;
      }
      return;
    }
    this.items = items.concat(this.head === 0 ? this.items : this.items.slice(this.head));
    this.sizes = sizes.concat(this.head === 0 ? this.sizes : this.sizes.slice(this.head));
    this.head = 0;
  }

  /** Size in bytes of the oldest message; undefined when empty. */
  oldestSize(): number | undefined {
    return this.head < this.items.length ? this.sizes[this.head] : undefined;
  }

  /** Removes the oldest message; undefined when empty. */
  dropOldest(): EncodedMessage | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.bytes -= this.sizes[this.head] as number;
    this.head++;
    if (this.head === this.items.length) this.reset();
    else if (this.head >= COMPACT_AT && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns everything, oldest first. */
  drain(): EncodedMessage[] {
    if (this.items === NONE) return [];
    const out = this.head === 0 ? this.items : this.items.slice(this.head);
    this.reset();
    return out;
  }

  /**
   * Removes and returns the oldest messages whose sizes sum to at most `maxBytes`, and always at least one
   * (a message larger than the budget goes alone): what one reply or push frame may carry.
   */
  take(maxBytes: number): EncodedMessage[] {
    if (this.bytes <= maxBytes) return this.drain();
    let end = this.head;
    let sum = 0;
    while (end < this.items.length) {
      const size = this.sizes[end] as number;
      if (end > this.head && sum + size > maxBytes) break;
      sum += size;
      end++;
    }
    const out = this.items.slice(this.head, end);
    this.bytes -= sum;
    this.head = end;
    if (this.head === this.items.length) this.reset();
    else if (this.head >= COMPACT_AT && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  private reset(): void {
    this.items = NONE;
    this.sizes = NONE;
    this.head = 0;
    this.bytes = 0;
  }
}
