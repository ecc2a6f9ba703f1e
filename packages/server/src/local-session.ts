// An in-process session: server code (a raw WebSocket component, a bridge) that subscribes and publishes
// on Bayeux channels through the SAME engine as remote clients (DESIGN.md "One hub"). It is an engine
// client like any other, bound to this node like a websocket: a publish queues in the engine and wakes
// the sink, SocketPush flushes the queue to the binding below, which hands each message to the handlers
// whose pattern matches. So it works across nodes with a shared engine (Redis): the engine routes, this
// node only holds the binding. It pings the engine every maxInterval / 2, so it never expires while it
// lives; if the engine destroys it anyway (disconnected elsewhere), it comes back with a new client id and
// its subscriptions. Trusted server code: the security policy and authorizers are not asked (Faye's
// in-process client may do what the server does).

import { isMetaChannel, isServiceChannel, isValidPattern, type Message, matches } from '@pushwire/bayeux';
import type { Core } from './core.js';
import type { BayeuxEvents } from './events.js';
import { publishFromServer } from './publish.js';
import type { SocketBinding, SocketPush } from './socket-push.js';

/** Receives a message published on a channel matching the subscription's pattern. */
export type LocalMessageHandler = (data: unknown, channel: string, message: Message) => void | Promise<void>;

/** Delivery over the engine's wake path: SocketPush "sends" a JSON array of queued messages. */
class LocalBinding implements SocketBinding {
  readonly #session: LocalSession;
  constructor(session: LocalSession) {
    this.#session = session;
  }
  send(text: string): void {
    this.#session._deliver(text);
  }
  get open(): boolean {
    return !this.#session.closed;
  }
  /** Messages are handled synchronously as they are pushed: nothing is ever buffered here. */
  get bufferedAmount(): number {
    return 0;
  }
  onceDrained(listener: () => void): void {
    queueMicrotask(listener);
  }
}

export class LocalSession {
  readonly #core: Core;
  readonly #sockets: SocketPush;
  readonly #onClosed: (session: LocalSession) => void;
  readonly #binding: LocalBinding;
  readonly #handlers = new Map<string, Set<LocalMessageHandler>>();
  readonly #keepAlive: NodeJS.Timeout;
  #clientId: string | undefined;
  #ready: Promise<string>;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** Made by `BayeuxServer.localSession()`. */
  constructor(core: Core, sockets: SocketPush, onClosed: (session: LocalSession) => void) {
    this.#core = core;
    this.#sockets = sockets;
    this.#onClosed = onClosed;
    this.#binding = new LocalBinding(this);
    this.#ready = this.#establish();
    // A failed first handshake (engine closed) surfaces on the next call; never as an unhandled rejection.
    this.#ready.catch((err: unknown) => core.reportError(err));
    core.events.on('disconnect', this.#onDisconnect);
    const period = Math.max(250, Math.floor(core.options.maxInterval / 2));
    this.#keepAlive = setInterval(() => this.#ping(), period);
    this.#keepAlive.unref();
  }

  /** The engine client id (undefined until the session is established). */
  get clientId(): string | undefined {
    return this.#clientId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves with the client id once the session exists in the engine. */
  ready(): Promise<string> {
    return this.#ready;
  }

  async #establish(): Promise<string> {
    const core = this.#core;
    const clientId = await core.engine.createClient();
    if (this.#closed) {
      await core.engine.destroyClient(clientId, 'disconnect');
      throw new Error('pushwire: the local session was closed');
    }
    this.#clientId = clientId;
    this.#sockets.bindSocket(clientId, this.#binding);
    core.events.emit('handshake', { clientId });
    for (const pattern of this.#handlers.keys()) await this.#engineSubscribe(clientId, pattern);
    return clientId;
  }

  readonly #onDisconnect = (event: BayeuxEvents['disconnect']): void => {
    if (event.clientId !== this.#clientId || this.#closed || event.reason === 'server-close') return;
    // Destroyed by the engine (another node's disconnect, an operator): come back with the same subscriptions.
    this.#clientId = undefined;
    this.#ready = this.#establish();
    this.#ready.catch((err: unknown) => this.#core.reportError(err));
  };

  #ping(): void {
    const id = this.#clientId;
    if (id === undefined || this.#closed) return;
    this.#core.engine.ping(id).catch((err: unknown) => this.#core.reportError(err));
  }

  async #engineSubscribe(clientId: string, pattern: string): Promise<void> {
    const result = await this.#core.engine.subscribe(clientId, pattern);
    if (!result.ok) {
      throw new Error(
        result.reason === 'too-many-subscriptions'
          ? `pushwire: the local session holds maxSubscriptionsPerClient subscriptions already ('${pattern}' refused)`
          : 'pushwire: the local session is unknown to the engine',
      );
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('pushwire: the local session is closed');
  }

  /**
   * Calls `handler` for every message published on a channel matching `pattern` (a channel name, `/a/*`
   * or `/a/**`), from any client on any transport, server code, or this session itself. Resolves once the
   * engine holds the subscription. Several handlers per pattern share one engine subscription.
   */
  async subscribe(pattern: string, handler: LocalMessageHandler): Promise<void> {
    this.#assertOpen();
    if (!isValidPattern(pattern) || isMetaChannel(pattern) || isServiceChannel(pattern)) {
      throw new TypeError(
        `pushwire: cannot subscribe to '${pattern}' (a broadcast channel or pattern is needed)`,
      );
    }
    const clientId = await this.#ready;
    let set = this.#handlers.get(pattern);
    if (set !== undefined) {
      set.add(handler);
      return;
    }
    set = new Set([handler]);
    this.#handlers.set(pattern, set);
    try {
      await this.#engineSubscribe(clientId, pattern);
    } catch (err) {
      if (this.#handlers.get(pattern) === set) this.#handlers.delete(pattern);
      throw err;
    }
    this.#core.events.emit('subscribe', { clientId, subscription: pattern });
  }

  /** Removes `handler` (or every handler) of `pattern`; the engine subscription goes with the last one. */
  async unsubscribe(pattern: string, handler?: LocalMessageHandler): Promise<void> {
    const set = this.#handlers.get(pattern);
    if (set === undefined) return;
    if (handler !== undefined) {
      set.delete(handler);
      if (set.size > 0) return;
    }
    this.#handlers.delete(pattern);
    const clientId = this.#clientId;
    if (clientId === undefined || this.#closed) return;
    if (await this.#core.engine.unsubscribe(clientId, pattern)) {
      this.#core.events.emit('unsubscribe', { clientId, subscription: pattern });
    }
  }

  /** Publishes on a channel, as `bayeux.publish` does, with this session as the publisher. */
  async publish(channel: string, data: unknown): Promise<number> {
    this.#assertOpen();
    const clientId = await this.#ready;
    return publishFromServer(this.#core, channel, data, clientId);
  }

  /** Leaves the engine (subscriptions and queue go); later subscribe/publish calls throw. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#keepAlive);
    this.#core.events.off('disconnect', this.#onDisconnect);
    this.#handlers.clear();
    this.#onClosed(this);
    const clientId = this.#clientId;
    this.#clientId = undefined;
    if (clientId === undefined) return;
    this.#sockets.unbindSocket(clientId, this.#binding);
    await this.#core.engine.destroyClient(clientId, 'disconnect');
  }

  /** @internal The binding's send: one JSON array of queued messages. */
  _deliver(text: string): void {
    let messages: unknown;
    try {
      messages = JSON.parse(text);
    } catch (err) {
      this.#core.reportError(err);
      return;
    }
    if (!Array.isArray(messages)) return;
    for (const message of messages as Message[]) {
      const channel = message?.channel;
      if (typeof channel !== 'string') continue;
      for (const [pattern, handlers] of this.#handlers) {
        if (!matches(pattern, channel)) continue;
        for (const handler of handlers) this.#call(handler, message.data, channel, message);
      }
    }
  }

  #call(handler: LocalMessageHandler, data: unknown, channel: string, message: Message): void {
    try {
      const result = handler(data, channel, message);
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        (result as Promise<void>).catch((err: unknown) => this.#core.reportError(err));
      }
    } catch (err) {
      this.#core.reportError(err);
    }
  }
}
