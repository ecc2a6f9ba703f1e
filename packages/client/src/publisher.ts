// Publishes and remote calls: validated, sent at once when the client has a session, otherwise queued
// (PublishQueue: bounded, per-item deadline) and waiting for a session for at most `sessionTimeout`
// (SessionWait). Decides what a failure means for each: re-send in the new session (refused because the
// session was lost), re-send after a network failure (only when it certainly never left, or with
// `retryPublishes`), or reject.

import { isMetaChannel, isServiceChannel, isValidChannel, isWildcard, type Message } from '@pushwire/bayeux';
import type { Connection } from './connection.js';
import type { Dispatcher } from './dispatcher.js';
import { ClientError, isNetworkError, ServerRefusal, sessionLost } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { PublishQueue, type QueuedItem } from './publish-queue.js';
import type { SessionWait } from './session-wait.js';
import type { Ack } from './types.js';

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

export class Publisher {
  readonly #opts: ResolvedOptions;
  readonly #dispatcher: Dispatcher;
  readonly #connection: Connection;
  readonly #sessionWait: SessionWait;
  readonly #autoConnect: () => void;
  readonly #queue: PublishQueue;

  constructor(
    opts: ResolvedOptions,
    dispatcher: Dispatcher,
    connection: Connection,
    sessionWait: SessionWait,
    autoConnect: () => void,
  ) {
    this.#opts = opts;
    this.#dispatcher = dispatcher;
    this.#connection = connection;
    this.#sessionWait = sessionWait;
    this.#autoConnect = autoConnect;
    this.#queue = new PublishQueue(opts.maxQueuedPublishes);
  }

  publish(channel: string, data: unknown, options: PublishOptions): Promise<Ack> {
    if (!isValidChannel(channel) || isWildcard(channel) || isMetaChannel(channel)) {
      return Promise.reject(
        new ClientError('CLIENT_INVALID_CHANNEL', `cannot publish to ${JSON.stringify(channel)}`),
      );
    }
    return new Promise<Ack>((resolve, reject) => {
      const item: QueuedItem = {
        deadline: Date.now() + (options.timeout ?? this.#opts.publishTimeout),
        fail: (error) => {
          this.#sessionWait.delete(item);
          reject(error);
        },
        send: () => {
          this.#sessionWait.delete(item);
          const clientId = this.#connection.clientId ?? undefined;
          const message: Message = { channel, data, clientId };
          if (options.ext !== undefined) message.ext = { ...options.ext };
          this.#dispatcher.request(message, this.#opts.maxNetworkDelay).then(
            (reply) => {
              if (reply.successful === true) {
                const ack: Ack = { channel, id: reply.id ?? '', successful: true };
                if (reply.ext !== undefined) ack.ext = reply.ext;
                resolve(ack);
              } else if (sessionLost(reply)) this.#requeue(item, clientId, reply);
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
  remoteCall<R>(service: string, data: unknown, options: RemoteCallOptions): Promise<R> {
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
        fail: (error) => {
          this.#sessionWait.delete(item);
          reject(error);
        },
        send: () => {
          this.#sessionWait.delete(item);
          const message: Message = {
            channel: service,
            data,
            clientId: this.#connection.clientId ?? undefined,
          };
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

  /** Sends everything queued (the client has a session again). */
  drain(): void {
    this.#queue.drain();
  }

  failAll(error: Error): void {
    this.#queue.failAll(error);
  }

  #enqueue(item: QueuedItem): void {
    if (this.#connection.ready && this.#queue.size === 0) item.send();
    else this.#wait(item);
    this.#autoConnect();
  }

  /** Queues an item until there is a session again, for at most `sessionTimeout` (then CLIENT_NO_SESSION). */
  #wait(item: QueuedItem, front = false): void {
    if (!this.#queue.push(item, front)) return;
    this.#sessionWait.add(item, (error) => {
      if (this.#queue.remove(item)) item.fail(error);
    });
  }

  #requeue(item: QueuedItem, clientId: string | undefined, reply: Message): void {
    if (Date.now() >= item.deadline) {
      item.fail(
        new ClientError('CLIENT_PUBLISH_EXPIRED', 'publish deadline passed before the client could send it'),
      );
      return;
    }
    if (clientId !== undefined && clientId !== this.#connection.clientId) {
      // Refused for a session we already replaced: just send it again in the current one.
      this.#enqueue(item);
      return;
    }
    this.#wait(item, true);
    this.#connection.rehandshake(clientId, reply);
  }

  /**
   * Network failures re-queue the publish until its deadline when re-sending cannot duplicate it (it never
   * left) or the application accepts duplicates (`retryPublishes`); other failures reject it. A timeout
   * or a connection lost after writing says nothing about whether the server broadcast the message.
   */
  #retryOrFail(item: QueuedItem, err: unknown): void {
    if (isNetworkError(err) && (err.unsent || this.#opts.retryPublishes)) {
      if (Date.now() < item.deadline && this.#connection.state !== 'disconnected') {
        this.#wait(item, true);
        return;
      }
    }
    item.fail(err instanceof Error ? err : new ClientError('CLIENT_TRANSPORT', String(err)));
  }
}
