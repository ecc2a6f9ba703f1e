// The bounded queue of publishes (and remote calls) made while the client is not connected. Each item
// has its own deadline; items are sent in order once the client connects again.

import { ClientError } from './errors.js';

export interface QueuedItem {
  /** Sends the item; called once the client is connected. */
  send(): void;
  /** Rejects the caller's promise. */
  fail(error: Error): void;
  /** Absolute time (Date.now()) after which the item is failed instead of sent. */
  deadline: number;
}

export class PublishQueue {
  readonly #items: QueuedItem[] = [];
  readonly #max: number;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#items.length;
  }

  /**
   * Queues an item (true), or fails it at once with CLIENT_QUEUE_FULL when `max` items are already
   * waiting (false). Items put back at the front (re-sends) are never refused: they were admitted once.
   */
  push(item: QueuedItem, front = false): boolean {
    if (!front && this.#items.length >= this.#max) {
      item.fail(
        new ClientError('CLIENT_QUEUE_FULL', `publish queue is full (maxQueuedPublishes=${this.#max})`),
      );
      return false;
    }
    if (front) this.#items.unshift(item);
    else this.#items.push(item);
    this.#arm();
    return true;
  }

  /** Takes an item out without sending or failing it; false if it was not queued. */
  remove(item: QueuedItem): boolean {
    const index = this.#items.indexOf(item);
    if (index === -1) return false;
    this.#items.splice(index, 1);
    this.#arm();
    return true;
  }

  /** Sends every live item in order. */
  drain(): void {
    this.#expire();
    const items = this.#items.splice(0);
    this.#arm();
    for (const item of items) item.send();
  }

  failAll(error: Error): void {
    const items = this.#items.splice(0);
    this.#arm();
    for (const item of items) item.fail(error);
  }

  #expire(): void {
    const now = Date.now();
    for (let i = this.#items.length - 1; i >= 0; i--) {
      const item = this.#items[i]!;
      if (item.deadline > now) continue;
      this.#items.splice(i, 1);
      item.fail(
        new ClientError('CLIENT_PUBLISH_EXPIRED', 'publish deadline passed before the client could send it'),
      );
    }
  }

  /** One timer for the earliest deadline, re-armed whenever the queue changes. */
  #arm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#items.length === 0) return;
    const earliest = Math.min(...this.#items.map((item) => item.deadline));
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#expire();
        this.#arm();
      },
      Math.max(0, earliest - Date.now()),
    );
  }
}
