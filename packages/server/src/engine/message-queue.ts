// A per-client FIFO of encoded messages: an array with a head index, so taking the oldest is O(1) (no
// Array#shift, which is O(n) on large arrays) and draining hands the array over without copying when the
// head is at 0. The dead prefix is compacted once it is both large and at least half the array.

import type { EncodedMessage } from './engine.js';

const COMPACT_AT = 1024;

export class MessageQueue {
  private items: EncodedMessage[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: EncodedMessage): void {
    this.items.push(item);
  }

  /** Puts `items` before everything queued, in their order (messages handed back after a failed delivery). */
  unshift(items: readonly EncodedMessage[]): void {
    if (items.length === 0) return;
    if (items.length <= this.head) {
      // Reuse the dead prefix: no copy of the live part.
      this.head -= items.length;
      for (let i = 0; i < items.length; i++) this.items[this.head + i] = items[i] as EncodedMessage;
      return;
    }
    this.items = items.concat(this.head === 0 ? this.items : this.items.slice(this.head));
    this.head = 0;
  }

  /** Removes the oldest message; undefined when empty. */
  dropOldest(): EncodedMessage | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns everything, oldest first. */
  drain(): EncodedMessage[] {
    const out = this.head === 0 ? this.items : this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }
}
