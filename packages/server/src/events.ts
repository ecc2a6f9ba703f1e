// Typed server events, mirrored on node:diagnostics_channel (DESIGN.md "Observability"):
// `pushwire:bayeux:handshake`, `:subscribe`, `:unsubscribe`, `:publish`, `:disconnect`, `:drop`, `:error`.
// Like Faye's monitoring events they fire in the process that handled the event.

import diagnostics from 'node:diagnostics_channel';
import type { DestroyReason, QueueLimit } from './engine/engine.js';

export interface BayeuxEvents {
  handshake: { clientId: string };
  subscribe: { clientId: string; subscription: string };
  unsubscribe: { clientId: string; subscription: string };
  /** `clientId` is absent for server-side publishes. */
  publish: { clientId: string | undefined; channel: string; data: unknown };
  /**
   * `lost`: the messages still queued for the client, discarded with its session (when the engine tells;
   * with reason 'slow' these are what the 'disconnect' queue policy dropped).
   */
  disconnect: { clientId: string; reason: DestroyReason; lost?: { dropped: number; bytes: number } };
  /** The 'drop-oldest' queue policy discarded `dropped` queued messages (`bytes`) past `limit`. */
  drop: { clientId: string; dropped: number; bytes: number; limit: QueueLimit | undefined };
  /** An unexpected server-side failure (engine error, a throwing hook); the peer got an error reply. */
  error: { error: unknown };
}
export type BayeuxEventName = keyof BayeuxEvents;
export type BayeuxListener<K extends BayeuxEventName> = (event: BayeuxEvents[K]) => void;

/** Names of the diagnostics channels, for subscribers (the one place they are spelled). */
export const DIAGNOSTICS_CHANNELS = {
  handshake: 'pushwire:bayeux:handshake',
  subscribe: 'pushwire:bayeux:subscribe',
  unsubscribe: 'pushwire:bayeux:unsubscribe',
  publish: 'pushwire:bayeux:publish',
  disconnect: 'pushwire:bayeux:disconnect',
  drop: 'pushwire:bayeux:drop',
  error: 'pushwire:bayeux:error',
} as const satisfies Record<BayeuxEventName, string>;

const channels = Object.fromEntries(
  Object.entries(DIAGNOSTICS_CHANNELS).map(([event, name]) => [event, diagnostics.channel(name)]),
) as Record<BayeuxEventName, diagnostics.Channel>;

/** A small typed emitter: listener errors are reported, never allowed to break the protocol path. */
export class BayeuxEmitter {
  readonly #listeners = new Map<BayeuxEventName, Set<(event: never) => void>>();
  readonly #onListenerError: (err: unknown) => void;

  constructor(onListenerError: (err: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  on<K extends BayeuxEventName>(name: K, listener: BayeuxListener<K>): this {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener as (event: never) => void);
    return this;
  }

  off<K extends BayeuxEventName>(name: K, listener: BayeuxListener<K>): this {
    this.#listeners.get(name)?.delete(listener as (event: never) => void);
    return this;
  }

  /** True when `emit(name)` would reach someone: a listener, or a subscriber of its diagnostics channel. */
  listens(name: BayeuxEventName): boolean {
    if (channels[name].hasSubscribers) return true;
    const set = this.#listeners.get(name);
    return set !== undefined && set.size > 0;
  }

  emit<K extends BayeuxEventName>(name: K, event: BayeuxEvents[K]): void {
    const dc = channels[name];
    if (dc.hasSubscribers) dc.publish(event);
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as BayeuxListener<K>)(event);
      } catch (err) {
        // A throwing 'error' listener is not reported again (no loop).
        if (name !== 'error') this.#onListenerError(err);
      }
    }
  }
}
