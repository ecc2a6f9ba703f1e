// An in-process session: server code (a raw WebSocket component, a bridge) that subscribes and publishes
// on Bayeux channels through the SAME engine as remote clients (DESIGN.md "One hub"). It is an engine
// client like any other, bound to this node like a websocket: a publish queues in the engine and wakes
// the sink, SocketPush flushes the queue to the binding (local-delivery.ts), which hands each message to the handlers
// whose pattern matches. So it works across nodes with a shared engine (Redis): the engine routes, this
// node only holds the binding. It pings the engine every maxInterval / 2, so it never expires while it
// lives; if the engine destroys it anyway (disconnected elsewhere), it comes back with a new client id and
// its subscriptions. Trusted server code: the security policy and authorizers are not asked (Faye's
// in-process client may do what the server does).
//
// Presence and history (issue 9) apply as to a remote client: a session made with `info` is a member, shown
// with that info, of every exact channel with presence it subscribes to (join and leave events included;
// the leave of a closed session comes from the engine's `left`, like an expired client's), and a subscribe
// to a channel with history may ask for the newest N or for what followed a position, replayed to the
// handler before any newer message (the engine's atomic subscribeHistory, as for /meta/subscribe).

import {
  type HistoryPosition,
  isMetaChannel,
  isServiceChannel,
  isValidPattern,
  isWildcard,
  matches,
  parsePosition,
} from '@pushwire/bayeux';
import type { Core } from './core.js';
import type { HistoryQuery } from './engine/engine.js';
import type { BayeuxEvents } from './events.js';
import { LocalDelivery, type LocalMessageHandler, type LocalReceiver } from './local-delivery.js';
import { joinPresence, leavePresence } from './presence.js';
import { publishFromServer } from './publish.js';
import type { SocketPush } from './socket-push.js';
import { exceedsSubscriptionBytes } from './subscription-bytes.js';

export type { LocalMessageHandler };

/** Options of `bayeux.localSession(options)`. */
export interface LocalSessionOptions {
  /**
   * What presence shows about this session (JSON-serialisable, at most `maxPresenceInfoBytes` of JSON), like
   * the `presenceInfo` hook's answer for a remote client. Default null.
   */
  info?: unknown;
}

/** Options of `LocalSession.subscribe(pattern, handler, options)`: one exact channel with history. */
export interface LocalSubscribeOptions {
  /** Replay the newest N messages (at most the channel's maxRecovery) before any newer one. */
  history?: number;
  /** Replay what followed this position (a message's `ext.history`), or nothing if that is impossible. */
  recover?: HistoryPosition;
}

/** What a subscribe learnt about the channel's history (absent for channels without one). */
export interface LocalSubscribeResult {
  /**
   * The channel's latest position (the live stream continues after it) and, when a replay was asked,
   * whether it is all that was asked (as `ext.recover.recovered` of /meta/subscribe).
   */
  history?: { epoch: string; offset: number; recovered: boolean };
}

export class LocalSession {
  readonly #core: Core;
  readonly #sockets: SocketPush;
  readonly #onClosed: (session: LocalSession) => void;
  readonly #binding: LocalDelivery;
  readonly #handlers = new Map<string, Set<LocalMessageHandler>>();
  readonly #keepAlive: NodeJS.Timeout;
  #clientId: string | undefined;
  #ready: Promise<string>;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The presence info as JSON text (checked against maxPresenceInfoBytes when the session is made). */
  readonly #info: string | undefined;

  /** Made by `BayeuxServer.localSession()`. */
  constructor(
    core: Core,
    sockets: SocketPush,
    onClosed: (session: LocalSession) => void,
    options: LocalSessionOptions = {},
  ) {
    this.#core = core;
    this.#info = localInfo(options.info, core.options.maxPresenceInfoBytes);
    this.#sockets = sockets;
    this.#onClosed = onClosed;
    this.#binding = new LocalDelivery(this.#receiver, core.options.maxPendingHandlers);
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
    const clientId = await core.engine.createClient(
      this.#info === undefined ? undefined : { info: this.#info },
    );
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

  /** Subscribes in the engine (with the history read when asked) and joins the channel's presence. */
  async #engineSubscribe(
    clientId: string,
    pattern: string,
    query?: HistoryQuery,
  ): Promise<LocalSubscribeResult> {
    const core = this.#core;
    const limits = isWildcard(pattern) ? undefined : core.features.history(pattern);
    let out: LocalSubscribeResult = {};
    let result: { ok: boolean; reason?: string };
    if (limits !== undefined) {
      const r = await core.engine.subscribeHistory(clientId, pattern, query, limits);
      result = r;
      if (r.read !== undefined) {
        const { epoch, offset } = r.read.position;
        out = { history: { epoch, offset, recovered: query !== undefined && r.read.complete } };
      }
    } else result = await core.engine.subscribe(clientId, pattern);
    if (!result.ok) {
      throw new Error(
        result.reason === 'too-many-subscriptions'
          ? `pushwire: the local session holds maxSubscriptionsPerClient subscriptions already ('${pattern}' refused)`
          : 'pushwire: the local session is unknown to the engine',
      );
    }
    await joinPresence(core, pattern, clientId);
    return out;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('pushwire: the local session is closed');
  }

  /**
   * Calls `handler` for every message published on a channel matching `pattern` (a channel name, `/a/*`
   * or `/a/**`), from any client on any transport, server code, or this session itself. Resolves once the
   * engine holds the subscription. Several handlers per pattern share one engine subscription.
   *
   * An exact channel with presence makes this session a member (with its `info`). On an exact channel with
   * history, `options.history` (newest N) or `options.recover` (after a position) replays those messages
   * to `handler`, oldest first, before any newer one; a replay is asked only by the FIRST handler of a
   * pattern (later ones would get it twice through the shared subscription: TypeError).
   */
  async subscribe(
    pattern: string,
    handler: LocalMessageHandler,
    options: LocalSubscribeOptions = {},
  ): Promise<LocalSubscribeResult> {
    this.#assertOpen();
    if (!isValidPattern(pattern) || isMetaChannel(pattern) || isServiceChannel(pattern)) {
      throw new TypeError(
        `pushwire: cannot subscribe to '${pattern}' (a broadcast channel or pattern is needed)`,
      );
    }
    const query = historyQuery(options, this.#core.options.maxQueue);
    if (query !== undefined && isWildcard(pattern)) {
      throw new TypeError(`pushwire: history is replayed for one exact channel, not '${pattern}'`);
    }
    const clientId = await this.#ready;
    let set = this.#handlers.get(pattern);
    if (set !== undefined) {
      if (query !== undefined) {
        throw new TypeError(
          `pushwire: '${pattern}' is subscribed already; a replay goes to the first handler`,
        );
      }
      set.add(handler);
      return {};
    }
    // The same byte bound as a remote client's (subscription-bytes.ts); the handler map holds its patterns.
    const maxBytes = this.#core.options.maxSubscriptionBytesPerClient;
    if (exceedsSubscriptionBytes(this.#handlers.keys(), [pattern], maxBytes)) {
      throw new Error(
        `pushwire: the local session's subscriptions would pass maxSubscriptionBytesPerClient (${maxBytes} bytes)`,
      );
    }
    set = new Set([handler]);
    this.#handlers.set(pattern, set);
    let result: LocalSubscribeResult;
    try {
      result = await this.#engineSubscribe(clientId, pattern, query);
    } catch (err) {
      if (this.#handlers.get(pattern) === set) this.#handlers.delete(pattern);
      throw err;
    }
    this.#core.events.emit('subscribe', { clientId, subscription: pattern });
    return result;
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
    const core = this.#core;
    if (await core.engine.unsubscribe(clientId, pattern)) {
      await leavePresence(core, pattern, clientId);
      core.events.emit('unsubscribe', { clientId, subscription: pattern });
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

  /** Handler promises not yet settled (at most about maxPendingHandlers: local-delivery.ts). */
  get pendingHandlers(): number {
    return this.#binding.pendingHandlers;
  }

  /** What the delivery (the session's binding) sees of it: no private field is shared. */
  readonly #receiver: LocalReceiver = {
    isClosed: () => this.#closed,
    handlersFor: (channel) => this.#handlersFor(channel),
    reportError: (err) => this.#core.reportError(err),
  };

  *#handlersFor(channel: string): Generator<LocalMessageHandler> {
    for (const [pattern, handlers] of this.#handlers) {
      if (matches(pattern, channel)) yield* handlers;
    }
  }
}

/** The info as JSON text, bounded in bytes like a handshake's presenceInfo (TypeError past it). */
function localInfo(info: unknown, maxBytes: number): string | undefined {
  if (info === undefined) return undefined;
  const text = JSON.stringify(info) ?? 'null';
  if (Buffer.byteLength(text) > maxBytes) {
    throw new TypeError(
      `pushwire: local session info is more than maxPresenceInfoBytes (${maxBytes}) of JSON`,
    );
  }
  return text;
}

function historyQuery(options: LocalSubscribeOptions, maxQueue: number): HistoryQuery | undefined {
  if (options.recover !== undefined) {
    // The wire format's own check (/meta/subscribe's ext.recover), so both accept the same positions.
    const after = parsePosition(options.recover);
    if (after === undefined)
      throw new TypeError('pushwire: recover is {offset: integer >= 0, epoch: string}');
    return { after };
  }
  if (options.history === undefined) return undefined;
  if (!Number.isSafeInteger(options.history) || options.history < 1) {
    throw new TypeError('pushwire: history is a number of messages >= 1');
  }
  // The engine caps it again at the channel's maxRecovery; this keeps an absurd N out of the engine call.
  return { last: Math.min(options.history, maxQueue) };
}
