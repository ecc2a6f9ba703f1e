// The Bayeux client: public API over the connection loop (connection.ts), the dispatcher (dispatcher.ts)
// and the local subscription registry (subscriptions.ts). Runs in browsers and Node.

import {
  isMetaChannel,
  isValidPattern,
  isWildcard,
  META,
  type Message,
  PRESENCE_SERVICE,
} from '@pushwire/bayeux';
import type { StatusChange } from './attempts.js';
import { Connection } from './connection.js';
import { Dispatcher } from './dispatcher.js';
import { TypedEmitter } from './emitter.js';
import { ClientError, ServerRefusal, sessionLost } from './errors.js';
import { type Extension, ExtensionPipeline } from './extensions.js';
import { readSubscribeReply, subscribeExt } from './history.js';
import type { TransportName } from './negotiate.js';
import { type ClientOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { Publisher, type PublishOptions, type RemoteCallOptions } from './publisher.js';
import { Scheduler } from './scheduler.js';
import { SessionWait } from './session-wait.js';
import { Subscription } from './subscription.js';
import { type ChannelEntry, type RawHandler, SubscriptionRegistry } from './subscriptions.js';
import type { Ack, ChannelMap, ChannelPattern, ClientEvents, ClientState, Handler } from './types.js';
import { onWake } from './wake.js';

export interface SubscribeOptions {
  /**
   * On a channel with history (issue 9): ask for the newest N messages with the first subscribe (a chat's
   * recent messages). Later re-subscribes recover from the last position instead.
   */
  history?: number;
}

/** Who is on a channel with presence (`client.presence()`). */
export interface PresenceResult {
  channel: string;
  count: number;
  /** Absent in large rooms (past the server's maxMembers) or when not asked for. */
  members?: Array<{ id: string; info: unknown }>;
}

export class Client<M extends ChannelMap = Record<string, unknown>> extends TypedEmitter<ClientEvents> {
  readonly url: string;
  readonly #opts: ResolvedOptions;
  readonly #extensions = new ExtensionPipeline();
  readonly #scheduler = new Scheduler();
  readonly #registry = new SubscriptionRegistry();
  readonly #publisher: Publisher;
  readonly #dispatcher: Dispatcher;
  readonly #connection: Connection;
  readonly #sessionWait: SessionWait;
  /** The state last reported, for the `state` event's `previous`. */
  #shownState: ClientState = 'disconnected';
  #waiters: { resolve(): void; reject(err: unknown): void }[] = [];
  #unwake: (() => void) | null = null;
  #reporting = false;

  constructor(url: string, options: ClientOptions = {}) {
    super();
    this.url = url;
    this.#opts = resolveOptions(options);
    this.#sessionWait = new SessionWait(this.#opts.sessionTimeout, () => this.#noSessionError());
    this.setListenerErrorHandler((err) => this.#report(err));
    this.#dispatcher = new Dispatcher(
      {
        deliver: (message) => {
          this.#registry.dispatch(message, (err) => this.#report(err));
        },
        report: (error) => this.#report(error),
        transportFailed: (transport, error) => this.#connection.transportFailed(transport, error),
      },
      this.#extensions,
      this.#scheduler,
    );
    this.#connection = new Connection(url, this.#opts, this.#dispatcher, this.#scheduler, {
      status: (change) => this.#onStatus(change),
      transportUp: (name) => this.emit('transport:up', name),
      transportDown: (name) => this.emit('transport:down', name),
      handshake: (reply, reestablished) => {
        this.#registry.forgetServerState();
        this.emit('handshake', reply, reestablished);
        this.#dispatcher.startBatch();
        this.#syncSubscriptions();
        this.#publisher.drain();
        this.#dispatcher.endBatch();
      },
      connected: () => {
        this.#syncSubscriptions();
        this.#publisher.drain();
      },
      fatal: (error) => this.#shutdown(error),
      report: (error) => this.#report(error),
    });
    this.#publisher = new Publisher(this.#opts, this.#dispatcher, this.#connection, this.#sessionWait, () =>
      this.#autoConnect(),
    );
  }

  get state(): ClientState {
    return this.#connection.state;
  }

  get clientId(): string | null {
    return this.#connection.clientId;
  }

  /** The transport in use, or null before the handshake. */
  get transport(): TransportName | null {
    return this.#connection.transportName;
  }

  /** Largest lateness of the client's timers in ms (background-tab throttling is visible here). */
  get timerDrift(): number {
    return this.#scheduler.maxDrift;
  }

  /** Handshakes (if needed) and resolves on the first successful /meta/connect. */
  connect(): Promise<void> {
    if (this.#connection.state === 'connected') return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => {
      const waiter = { resolve, reject };
      this.#waiters.push(waiter);
      this.#sessionWait.add(waiter, (error) => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(error);
      });
    });
    this.#connection.start();
    return promise;
  }

  addExtension(extension: Extension): () => void {
    return this.#extensions.add(extension);
  }

  subscribe<P extends ChannelPattern<M>>(
    channel: P | readonly P[],
    handler: Handler<M, P>,
    options: SubscribeOptions = {},
  ): Subscription {
    const channels: string[] = typeof channel === 'string' ? [channel] : [...(channel as readonly string[])];
    const bad = channels.find((c) => !isValidPattern(c) || isMetaChannel(c));
    if (bad !== undefined || channels.length === 0) {
      const error = new ClientError(
        'CLIENT_INVALID_CHANNEL',
        `cannot subscribe to ${JSON.stringify(bad ?? channels)}`,
      );
      const rejected = Promise.reject(error);
      // Observed here so a caller that never awaits the Subscription gets no unhandled rejection.
      rejected.catch(() => undefined);
      return new Subscription(channels, rejected, () => Promise.resolve());
    }
    // One closure per call, so the same function subscribed twice is two subscriptions.
    const raw: RawHandler = (data, ch, message) => (handler as RawHandler)(data, ch, message);
    const history = options.history;
    if (history !== undefined && (!Number.isSafeInteger(history) || history < 0)) {
      const rejected = Promise.reject(
        new ClientError('CLIENT_INVALID_CHANNEL', 'history must be an integer >= 0'),
      );
      rejected.catch(() => undefined);
      return new Subscription(channels, rejected, () => Promise.resolve());
    }
    const entries = channels.map((c) => {
      const { entry, created } = this.#registry.add(c, raw);
      if (created && history !== undefined && !isWildcard(c)) entry.last = history;
      return entry;
    });
    this.#syncSubscriptions();
    for (const entry of entries) if (entry.state === 'idle') this.#subscribeWaits(entry);
    this.#autoConnect();
    const ready = Promise.all(entries.map((e) => e.ready.promise)).then(() => undefined);
    const subscription = new Subscription(channels, ready, () => this.#unsubscribe(channels, raw));
    ready.catch(() => void subscription.unsubscribe());
    return subscription;
  }

  publish<C extends keyof M & string>(channel: C, data: M[C], options: PublishOptions = {}): Promise<Ack> {
    return this.#publisher.publish(channel, data, options);
  }

  /** CometD remote call: a publish to `/service/...` answered on the same channel with the same id. */
  remoteCall<R = unknown>(service: string, data: unknown, options: RemoteCallOptions = {}): Promise<R> {
    return this.#publisher.remoteCall<R>(service, data, options);
  }

  /**
   * Who is subscribed to a channel with presence (issue 9): the server's `/service/presence`. `members:
   * false` asks for the count only.
   */
  presence(channel: string, options: { members?: boolean; timeout?: number } = {}): Promise<PresenceResult> {
    const data: Record<string, unknown> = { channel };
    if (options.members === false) data.members = false;
    const call: RemoteCallOptions = options.timeout === undefined ? {} : { timeout: options.timeout };
    return this.remoteCall<PresenceResult>(PRESENCE_SERVICE, data, call);
  }

  /**
   * Sends every message produced inside `fn` as one batch. If `fn` returns a promise the batch is held
   * until it settles, so never await a reply inside the batch (it could only arrive after the batch).
   */
  batch<T>(fn: () => T): T {
    this.#dispatcher.startBatch();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.#dispatcher.endBatch();
      throw err;
    }
    if (result instanceof Promise) {
      result.then(
        () => this.#dispatcher.endBatch(),
        () => this.#dispatcher.endBatch(),
      );
    } else this.#dispatcher.endBatch();
    return result;
  }

  /** Sends /meta/disconnect (if connected), then releases everything. Never rejects. */
  async disconnect(): Promise<void> {
    const clientId = this.#connection.clientId;
    if (clientId !== null) {
      this.#connection.halt();
      try {
        await this.#dispatcher.request({ channel: META.disconnect, clientId }, this.#opts.maxNetworkDelay);
      } catch {
        // The server forgets the session by timeout anyway (Bayeux §4.4: servers SHOULD NOT rely on it).
      }
    }
    this.#shutdown(new ClientError('CLIENT_DISCONNECTED', 'client disconnected'));
  }

  // Internals ------------------------------------------------------------------------------------

  #autoConnect(): void {
    if (this.#opts.autoConnect && this.#connection.state === 'disconnected') this.#connection.start();
  }

  /** A subscribe the server has not answered yet waits for a session for at most `sessionTimeout`. */
  #subscribeWaits(entry: ChannelEntry): void {
    if (entry.ready.settled) return;
    this.#sessionWait.add(entry, (error) => {
      if (entry.ready.settled || entry.state !== 'idle') return;
      if (this.#registry.get(entry.channel) === entry) this.#registry.drop(entry.channel);
      entry.ready.reject(error);
    });
  }

  /** Why an operation gave up waiting for a session: the last connection failure, said plainly. */
  #noSessionError(): ClientError {
    const cause = this.#connection.lastCause;
    let why: string;
    if (cause !== null) why = cause.message;
    else if (this.#connection.state === 'disconnected') why = 'the client is not connecting (call connect())';
    else why = 'no answer from the server yet';
    return new ClientError(
      'CLIENT_NO_SESSION',
      `no session with ${this.url} within ${this.#opts.sessionTimeout} ms (sessionTimeout): ${why}`,
      { cause: cause ?? undefined },
    );
  }

  /** Sends /meta/subscribe for every channel the server does not know yet, one message per channel. */
  #syncSubscriptions(): void {
    if (!this.#connection.ready) return;
    const idle = this.#registry.entries().filter((e) => e.state === 'idle');
    if (idle.length === 0) return;
    this.#dispatcher.startBatch();
    for (const entry of idle) this.#sendSubscribe(entry);
    this.#dispatcher.endBatch();
  }

  #sendSubscribe(entry: ChannelEntry): void {
    entry.state = 'pending';
    this.#sessionWait.delete(entry);
    const clientId = this.#connection.clientId ?? undefined;
    const message: Message = { channel: META.subscribe, clientId, subscription: entry.channel };
    // Issue 9: recover what was missed since the last position (or ask for the newest N the first time).
    const ext = isWildcard(entry.channel) ? undefined : subscribeExt(entry);
    if (ext !== undefined) message.ext = ext;
    this.#dispatcher.request(message, this.#opts.maxNetworkDelay).then(
      (reply) => {
        const current = this.#registry.get(entry.channel) === entry;
        if (reply.successful === true) {
          entry.state = 'subscribed';
          entry.last = undefined;
          const recovery = readSubscribeReply(entry, ext, reply);
          if (recovery !== undefined && ext?.recover !== undefined)
            this.emit('recovery', entry.channel, recovery);
          entry.ready.resolve();
          this.emit('subscribed', entry.channel);
          // Everyone left while the subscribe was in flight: undo it.
          if (!current) this.#sendUnsubscribe(entry.channel);
          return;
        }
        if (sessionLost(reply)) {
          // A refusal for an older session is stale: the re-handshake already re-sent this channel.
          if (clientId !== this.#connection.clientId) return;
          entry.state = 'idle';
          this.#subscribeWaits(entry);
          this.#connection.rehandshake(clientId, reply);
          return;
        }
        const error = new ServerRefusal(reply);
        if (current) this.#registry.drop(entry.channel);
        entry.ready.reject(error);
        this.#report(error);
      },
      (err: unknown) => {
        // Network trouble: try again after the next successful connect.
        entry.state = 'idle';
        if (!(err instanceof ClientError) || err.code === 'CLIENT_EXTENSION') {
          entry.ready.reject(err);
          this.#registry.drop(entry.channel);
        } else this.#subscribeWaits(entry);
      },
    );
  }

  #unsubscribe(channels: string[], raw: RawHandler): Promise<void> {
    const sent: Promise<void>[] = [];
    for (const channel of channels) {
      const last = this.#registry.remove(channel, raw);
      if (last !== undefined && last.state === 'subscribed' && this.#connection.ready) {
        sent.push(this.#sendUnsubscribe(channel));
      }
    }
    return Promise.all(sent).then(() => undefined);
  }

  #sendUnsubscribe(channel: string): Promise<void> {
    const clientId = this.#connection.clientId ?? undefined;
    return this.#dispatcher
      .request({ channel: META.unsubscribe, clientId, subscription: channel }, this.#opts.maxNetworkDelay)
      .then(
        (reply) => {
          if (reply.successful !== true) this.#report(new ServerRefusal(reply));
        },
        () => undefined,
      );
  }

  #onStatus(change: StatusChange): void {
    const previous = this.#shownState;
    this.#shownState = change.state;
    if (change.state === 'disconnected') {
      this.#unwake?.();
      this.#unwake = null;
    } else this.#unwake ??= onWake(() => this.#connection.wake());
    if (change.state === 'connected') {
      for (const waiter of this.#waiters.splice(0)) {
        this.#sessionWait.delete(waiter);
        waiter.resolve();
      }
    }
    if (previous !== change.state) this.emit('state', change.state, previous);
    if (change.state === 'connecting') this.emit('connecting', change.info);
    else if (change.state === 'connected') this.emit('connected', change.info);
    else if (change.state === 'reconnecting') this.emit('reconnecting', change.info);
    else this.emit('disconnected', change.info);
  }

  #shutdown(error: Error): void {
    this.#connection.stop();
    this.#sessionWait.clear();
    this.#dispatcher.failAll(error);
    this.#publisher.failAll(error);
    for (const entry of this.#registry.entries()) entry.ready.reject(error);
    this.#registry.clear();
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  #report(err: unknown): void {
    const error = err instanceof Error ? err : new ClientError('CLIENT_BAD_MESSAGE', String(err));
    if (this.listenerCount('error') === 0) return;
    // An 'error' listener that throws would report itself forever: its own failures are dropped.
    if (this.#reporting) return;
    this.#reporting = true;
    try {
      this.emit('error', error);
    } finally {
      this.#reporting = false;
    }
  }
}
