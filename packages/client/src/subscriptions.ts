// Local subscription bookkeeping. Several local handlers on one channel share one server subscription:
// the first handler triggers the /meta/subscribe, the last one leaving triggers the /meta/unsubscribe
// (CometD javascript_subscribe.adoc, Faye client.js). Entries survive a re-handshake, so the client can
// re-subscribe them without the application calling subscribe again, and without duplicating handlers.

import { isWildcard, type Message, matches } from '@pushwire/bayeux';
import { type Deferred, deferred } from './deferred.js';
import { advancePosition, type HistoryPosition, positionOf } from './history.js';

export type RawHandler = (data: unknown, channel: string, message: Message) => void;

/** `idle`: the server does not know it (yet / any more); `pending`: subscribe sent; `subscribed`: acked. */
export type EntryState = 'idle' | 'pending' | 'subscribed';

export interface ChannelEntry {
  readonly channel: string;
  readonly handlers: Set<RawHandler>;
  state: EntryState;
  /** Settles on the first server answer for this channel. */
  readonly ready: Deferred<void>;
  /**
   * The last position seen on this channel (issue 9: `ext.history` of deliveries, or the subscribe reply):
   * a re-subscribe asks to recover from it. Only for exact channel names (positions are per channel).
   */
  position: HistoryPosition | undefined;
  /** Newest messages to ask for on the first subscribe (`ext.history: {last}`); cleared once answered. */
  last: number | undefined;
}

export class SubscriptionRegistry {
  readonly #entries = new Map<string, ChannelEntry>();

  /** Adds a handler; `created` is true when this is the channel's first handler. */
  add(channel: string, handler: RawHandler): { entry: ChannelEntry; created: boolean } {
    let entry = this.#entries.get(channel);
    const created = entry === undefined;
    if (entry === undefined) {
      entry = {
        channel,
        handlers: new Set(),
        state: 'idle',
        ready: deferred<void>(),
        position: undefined,
        last: undefined,
      };
      this.#entries.set(channel, entry);
    }
    entry.handlers.add(handler);
    return { entry, created };
  }

  /** Removes a handler; returns the entry if it was the last one (the entry is then dropped). */
  remove(channel: string, handler: RawHandler): ChannelEntry | undefined {
    const entry = this.#entries.get(channel);
    if (entry === undefined || !entry.handlers.delete(handler)) return undefined;
    if (entry.handlers.size > 0) return undefined;
    this.#entries.delete(channel);
    return entry;
  }

  /** Drops a channel and all its handlers (the server refused it). */
  drop(channel: string): void {
    this.#entries.delete(channel);
  }

  get(channel: string): ChannelEntry | undefined {
    return this.#entries.get(channel);
  }

  entries(): ChannelEntry[] {
    return [...this.#entries.values()];
  }

  /** After a (re-)handshake the server knows none of our subscriptions. */
  forgetServerState(): void {
    for (const entry of this.#entries.values()) entry.state = 'idle';
  }

  clear(): void {
    this.#entries.clear();
  }

  /**
   * Calls every handler whose channel or pattern matches; returns how many subscriptions matched.
   * Handler errors go to `onError`, never out of the client's event loop.
   */
  dispatch(message: Message, onError: (err: unknown) => void): number {
    let matched = 0;
    const position = positionOf(message);
    for (const entry of [...this.#entries.values()]) {
      if (!matches(entry.channel, message.channel)) continue;
      matched++;
      if (position !== undefined && !isWildcard(entry.channel)) {
        // Already seen (a replay overlapping what arrived, a put-back after a reconnect): once only.
        if (!advancePosition(entry, position)) continue;
      }
      for (const handler of [...entry.handlers]) {
        try {
          handler(message.data, message.channel, message);
        } catch (err) {
          onError(err);
        }
      }
    }
    return matched;
  }
}
