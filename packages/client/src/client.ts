// The Bayeux client: public API over the connection loop (connection.ts), the dispatcher (dispatcher.ts)
// and the local subscription registry (subscriptions.ts). Runs in browsers and Node.

import {
  isMetaChannel,
  isServiceChannel,
  isValidChannel,
  isValidPattern,
  isWildcard,
  META,
  type Message,
  parseError,
} from '@pushwire/bayeux';
import { Connection } from './connection.js';
import { Dispatcher } from './dispatcher.js';
import { TypedEmitter } from './emitter.js';
import { ClientError, isNetworkError, ServerRefusal } from './errors.js';
import { type Extension, ExtensionPipeline } from './extensions.js';
import type { TransportName } from './negotiate.js';
import { type ClientOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { PublishQueue, type QueuedItem } from './publish-queue.js';
import { Scheduler } from './scheduler.js';
import { Subscription } from './subscription.js';
import { type ChannelEntry, type RawHandler, SubscriptionRegistry } from './subscriptions.js';
import type { Ack, ChannelMap, ChannelPattern, ClientEvents, ClientState, Handler } from './types.js';
import { onWake } from './wake.js';

export interface PublishOptions {
  ext?: Record<string, unknown>;
  /** Deadline in ms while the publish waits for a connection (default: option `publishTimeout`). */
  timeout?: number;
}

export interface RemoteCallOptions {
  /** Ms to wait for the answer, queueing included (default: option `maxNetworkDelay`). */
  timeout?: number;
  ext?: Record<string, unknown>;
}

export class Client<M extends ChannelMap = Record<string, unknown>> extends TypedEmitter<ClientEvents> {
  readonly url: string;
  readonly #opts: ResolvedOptions;
  readonly #extensions = new ExtensionPipeline();
  readonly #scheduler = new Scheduler();
  readonly #registry = new SubscriptionRegistry();
  readonly #queue: PublishQueue;
  readonly #dispatcher: Dispatcher;
  readonly #connection: Connection;
  #waiters: { resolve(): void; reject(err: unknown): void }[] = [];
  #unwake: (() => void) | null = null;
  #reporting = false;

  constructor(url: string, options: ClientOptions = {}) {
    super();
    this.url = url;
    this.#opts = resolveOptions(options);
    this.#queue = new PublishQueue(this.#opts.maxQueuedPublishes);
    this.setListenerErrorHandler((err) => this.#report(err));
    this.#dispatcher = new Dispatcher(
      {
        deliver: (message) => {
          this.#registry.dispatch(message, (err) => this.#report(err));
        },
        report: (error) => this.#report(error),
        transportFailed: (transport) => this.#connection.transportFailed(transport),
      },
      this.#extensions,
      this.#scheduler,
    );
    this.#connection = new Connection(url, this.#opts, this.#dispatcher, this.#scheduler, {
      state: (state, delay) => this.#onState(state, delay),
      transportUp: (name) => this.emit('transport:up', name),
      transportDown: (name) => this.emit('transport:down', name),
      handshake: (reply, reestablished) => {
        this.#registry.forgetServerState();
        this.emit('handshake', reply, reestablished);
        this.#dispatcher.startBatch();
        this.#syncSubscriptions();
        this.#queue.drain();
        this.#dispatcher.endBatch();
      },
      connected: () => {
        this.#syncSubscriptions();
        this.#queue.drain();
      },
      fatal: (error) => this.#onFatal(error),
      report: (error) => this.#report(error),
    });
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
    const promise = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#connection.start();
    return promise;
  }

  addExtension(extension: Extension): () => void {
    return this.#extensions.add(extension);
  }

  subscribe<P extends ChannelPattern<M>>(channel: P | readonly P[], handler: Handler<M, P>): Subscription {
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
    const entries = channels.map((c) => this.#registry.add(c, raw).entry);
    this.#syncSubscriptions();
    this.#autoConnect();
    const ready = Promise.all(entries.map((e) => e.ready.promise)).then(() => undefined);
    const subscription = new Subscription(channels, ready, () => this.#unsubscribe(channels, raw));
    ready.catch(() => void subscription.unsubscribe());
    return subscription;
  }

  publish<C extends keyof M & string>(channel: C, data: M[C], options: PublishOptions = {}): Promise<Ack> {
    if (!isValidChannel(channel) || isWildcard(channel) || isMetaChannel(channel)) {
      return Promise.reject(
        new ClientError('CLIENT_INVALID_CHANNEL', `cannot publish to ${JSON.stringify(channel)}`),
      );
    }
    return new Promise<Ack>((resolve, reject) => {
      const item: QueuedItem = {
        deadline: Date.now() + (options.timeout ?? this.#opts.publishTimeout),
        fail: reject,
        send: () => {
          const clientId = this.clientId ?? undefined;
          const message: Message = { channel, data, clientId };
          if (options.ext !== undefined) message.ext = { ...options.ext };
          this.#dispatcher.request(message, this.#opts.maxNetworkDelay).then(
            (reply) => {
              if (reply.successful === true) {
                const ack: Ack = { channel, id: reply.id ?? '', successful: true };
                if (reply.ext !== undefined) ack.ext = reply.ext;
                resolve(ack);
              } else if (this.#sessionLost(reply)) this.#requeue(item, clientId);
              else reject(new ServerRefusal(reply));
            },
            (err: unknown) => this.#retryOrFail(item, err),
          );
        },
      };
      this.#enqueue(item);
    });
  }

  /** CometD remote call: a publish to `/service/...` answered on the same channel with the same id. */
  remoteCall<R = unknown>(service: string, data: unknown, options: RemoteCallOptions = {}): Promise<R> {
    if (!isValidChannel(service) || !isServiceChannel(service) || isWildcard(service)) {
      return Promise.reject(
        new ClientError('CLIENT_INVALID_CHANNEL', `remote calls go to /service/..., not ${service}`),
      );
    }
    const timeout = options.timeout ?? this.#opts.maxNetworkDelay;
    const deadline = Date.now() + timeout;
    return new Promise<R>((resolve, reject) => {
      const item: QueuedItem = {
        deadline,
        fail: reject,
        send: () => {
          const message: Message = { channel: service, data, clientId: this.clientId ?? undefined };
          if (options.ext !== undefined) message.ext = { ...options.ext };
          const left = Math.max(1, deadline - Date.now());
          this.#dispatcher.request(message, left, true).then((reply) => {
            if (reply.successful === false) reject(new ServerRefusal(reply));
            else resolve(reply.data as R);
          }, reject);
        },
      };
      this.#enqueue(item);
    });
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

  #enqueue(item: QueuedItem): void {
    if (this.#connection.ready && this.#queue.size === 0) item.send();
    else this.#queue.push(item);
    this.#autoConnect();
  }

  #requeue(item: QueuedItem, clientId: string | undefined): void {
    if (Date.now() >= item.deadline) {
      item.fail(
        new ClientError('CLIENT_PUBLISH_EXPIRED', 'publish deadline passed before the client could send it'),
      );
      return;
    }
    if (clientId !== undefined && clientId !== this.clientId) {
      // Refused for a session we already replaced: just send it again in the current one.
      this.#enqueue(item);
      return;
    }
    this.#queue.push(item, true);
    this.#connection.rehandshake(clientId);
  }

  /**
   * Network failures re-queue the publish until its deadline when re-sending cannot duplicate it (it never
   * left) or the application accepts duplicates (`retryPublishes`); other failures reject it. A timeout
   * or a connection lost after writing says nothing about whether the server broadcast the message.
   */
  #retryOrFail(item: QueuedItem, err: unknown): void {
    if (isNetworkError(err) && (err.unsent || this.#opts.retryPublishes)) {
      if (Date.now() < item.deadline && this.#connection.state !== 'disconnected') {
        this.#queue.push(item, true);
        return;
      }
    }
    item.fail(err instanceof Error ? err : new ClientError('CLIENT_TRANSPORT', String(err)));
  }

  /**
   * A refusal because the server lost our session. Advice decides (Bayeux §3.6.1); the 401/402 codes are
   * only a fallback for servers that put no advice on non-connect replies (Faye 401, CometD 402).
   */
  #sessionLost(reply: Message): boolean {
    if (reply.advice?.reconnect === 'handshake') return true;
    const code = parseError(reply.error)?.code;
    return code === 401 || code === 402;
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
    const clientId = this.#connection.clientId ?? undefined;
    this.#dispatcher
      .request({ channel: META.subscribe, clientId, subscription: entry.channel }, this.#opts.maxNetworkDelay)
      .then(
        (reply) => {
          const current = this.#registry.get(entry.channel) === entry;
          if (reply.successful === true) {
            entry.state = 'subscribed';
            entry.ready.resolve();
            this.emit('subscribed', entry.channel);
            // Everyone left while the subscribe was in flight: undo it.
            if (!current) this.#sendUnsubscribe(entry.channel);
            return;
          }
          if (this.#sessionLost(reply)) {
            // A refusal for an older session is stale: the re-handshake already re-sent this channel.
            if (clientId !== this.#connection.clientId) return;
            entry.state = 'idle';
            this.#connection.rehandshake(clientId);
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
          }
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

  #onState(state: ClientState, delay: number): void {
    if (state === 'disconnected') {
      this.#unwake?.();
      this.#unwake = null;
    } else this.#unwake ??= onWake(() => this.#connection.wake());
    if (state === 'connected') {
      for (const waiter of this.#waiters.splice(0)) waiter.resolve();
    }
    if (state === 'reconnecting') this.emit('reconnecting', delay);
    else this.emit(state);
  }

  #onFatal(error: Error): void {
    this.#report(error);
    this.#shutdown(error);
  }

  #shutdown(error: Error): void {
    this.#connection.stop();
    this.#dispatcher.failAll(error);
    this.#queue.failAll(error);
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
