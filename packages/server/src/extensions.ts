// The extension pipeline (DESIGN.md "Extensions"; CometD concepts "message processing"): `incoming` hooks
// run in registration order, `outgoing` hooks in reverse order, every hook may return a value or a
// Promise, and returning null drops the message (the sender then gets `404::message_deleted`).

import type { Message } from '@pushwire/bayeux';
import type { Engine } from './engine/engine.js';
import type { RequestContext } from './options.js';

/** Context of an outgoing message: for a reply, the request it answers. */
export interface OutgoingContext extends RequestContext {
  /** The request this message replies to; absent for broadcasts and server deliveries. */
  request?: Message;
}

/**
 * Delivery control for extensions that need to see what rides each /meta/connect reply (the ack
 * extension). Called synchronously; the hooks must not throw.
 */
export interface DeliveryHook {
  /** True when the client must get messages only in /meta/connect replies (no WebSocket push). */
  connectOnly(clientId: string): boolean;
  /** True when a connect from this client must be answered at once (e.g. unacknowledged messages). */
  hasPending(clientId: string): boolean;
  /** Takes the messages about to ride `reply` and returns what to send; may edit `reply` (its ext). */
  beforeConnectReply(clientId: string, queue: string[], reply: Message): string[];
  /** The client is gone. */
  forget(clientId: string): void;
  /**
   * Optional: a client-state key under which the engine journals what connect replies of this client take
   * from its queue (Engine.takeQueue `journal`), so that messages taken by a node that dies before the
   * extension stored them are found again by the next node.
   */
  journal?(clientId: string): string | undefined;
}

/** What a server hands an extension when it is added (ExtensionPipeline is per server). */
export interface ExtensionHost {
  /** The server's engine: per-client state that must follow a client between nodes lives there. */
  readonly engine: Engine;
}

export interface BayeuxExtension {
  /** Called once when the extension is added to a server. */
  attach?(host: ExtensionHost): void;
  incoming?(message: Message, ctx: RequestContext): Message | null | Promise<Message | null>;
  outgoing?(message: Message, ctx: OutgoingContext): Message | null | Promise<Message | null>;
  /** Optional delivery control (see DeliveryHook). */
  delivery?: DeliveryHook;
}

export class ExtensionPipeline {
  readonly #extensions: BayeuxExtension[] = [];
  /** Cached: asked on every delivery, changed only by add/remove. */
  #hooks: DeliveryHook[] = [];
  #anyIncoming = false;
  #anyOutgoing = false;

  add(extension: BayeuxExtension): void {
    this.#extensions.push(extension);
    this.#refresh();
  }

  remove(extension: BayeuxExtension): void {
    const i = this.#extensions.indexOf(extension);
    if (i >= 0) this.#extensions.splice(i, 1);
    this.#refresh();
  }

  #refresh(): void {
    this.#hooks = this.#extensions.flatMap((e) => (e.delivery ? [e.delivery] : []));
    this.#anyIncoming = this.#extensions.some((e) => e.incoming !== undefined);
    this.#anyOutgoing = this.#extensions.some((e) => e.outgoing !== undefined);
  }

  /**
   * False when no extension has an `incoming` hook: callers skip the pipeline (its Promise, its await and
   * the context they would build for it) on every message, the common case of a server without extensions.
   */
  get hasIncoming(): boolean {
    return this.#anyIncoming;
  }

  /** False when no extension has an `outgoing` hook (see hasIncoming). */
  get hasOutgoing(): boolean {
    return this.#anyOutgoing;
  }

  get size(): number {
    return this.#extensions.length;
  }

  deliveryHooks(): readonly DeliveryHook[] {
    return this.#hooks;
  }

  /** Runs `incoming` hooks in registration order; null as soon as one drops the message. */
  async incoming(message: Message, ctx: RequestContext): Promise<Message | null> {
    let current: Message | null = message;
    for (const e of this.#extensions) {
      if (!e.incoming) continue;
      current = await e.incoming(current, ctx);
      if (current === null || current === undefined) return null;
    }
    return current;
  }

  /** Runs `outgoing` hooks in reverse registration order; null as soon as one drops the message. */
  async outgoing(message: Message, ctx: OutgoingContext): Promise<Message | null> {
    let current: Message | null = message;
    for (let i = this.#extensions.length - 1; i >= 0; i--) {
      const e = this.#extensions[i];
      if (!e?.outgoing) continue;
      current = await e.outgoing(current, ctx);
      if (current === null || current === undefined) return null;
    }
    return current;
  }
}
