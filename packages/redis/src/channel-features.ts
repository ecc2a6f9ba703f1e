// Channel history of the Redis engine (issue 9): what RedisEngine's Engine methods of the same names do
// once the engine is known to be open. On one Redis server each is ONE script (scripts-history.ts says why
// several slots); on a Redis Cluster, publish and subscribe go through history-cluster.ts.

import { randomBytes } from 'node:crypto';
import { expand, type Message } from '@pushwire/bayeux';
import type {
  HistoryLimits,
  HistoryPosition,
  HistoryQuery,
  HistoryRead,
  HistorySubscribeResult,
  PositionTemplate,
} from '@pushwire/server';
import { ClusterHistory } from './history-cluster.js';
import type { Keys } from './keys.js';
import type { ResolvedRedisOptions } from './options.js';
import type { RedisCommand, RedisReply } from './port.js';
import { PUBLISH_HISTORY, READ_HISTORY, SUBSCRIBE_HISTORY } from './scripts-history.js';

/** What the engine lends: its keys, options, round trips, and the wakes after an enqueue. */
export interface ChannelHost {
  readonly keys: Keys;
  readonly options: Readonly<ResolvedRedisOptions>;
  run(operation: string, commands: readonly RedisCommand[]): Promise<RedisReply[]>;
  /** Wakes the recipients' nodes, drops slow clients, unindexes vanished ones; the number queued for. */
  afterEnqueue(ids: string[], replies: RedisReply[], patterns: string[]): Promise<number>;
  /** A fresh random id (the shared body key of a publish). */
  newId(): string;
  /** True on a Redis Cluster: history goes through history-cluster.ts. */
  readonly cluster: boolean;
}

/** 64 random bits, hex: a channel's history epoch (a lost history never comes back under the same one). */
function newEpoch(): string {
  return randomBytes(8).toString('hex');
}

/** A history query as three script arguments: kind, number, epoch. */
function queryArgs(query: HistoryQuery | undefined): [string, number, string] {
  if (query === undefined) return ['', 0, ''];
  if ('last' in query) return ['last', query.last, ''];
  return ['after', query.after.offset, query.after.epoch];
}

export class ChannelFeatures {
  readonly #host: ChannelHost;
  /** The one-slot-per-step history of a Redis Cluster; undefined on one Redis server. */
  readonly cluster: ClusterHistory | undefined;

  constructor(host: ChannelHost) {
    this.#host = host;
    this.cluster = host.cluster ? new ClusterHistory(host, newEpoch) : undefined;
  }

  async publishHistory(
    message: Message,
    template: PositionTemplate,
    limits: HistoryLimits,
  ): Promise<{ count: number; position: HistoryPosition }> {
    if (this.cluster !== undefined)
      return this.cluster.publishHistory(message, template, limits, this.#historyKeep(limits));
    const k = this.#host.keys;
    const o = this.#host.options;
    const channel = message.channel;
    const patterns = expand(channel);
    const [c0, c1, q0, q1] = k.clientKeyParts();
    // ONE script: offset, history and every recipient's queue (scripts-history.ts says why).
    const [reply] = await this.#host.run('publishHistory', [
      {
        script: PUBLISH_HISTORY,
        keys: [
          k.history(channel),
          k.historyList(channel),
          k.body(this.#host.newId()),
          ...patterns.map((p) => k.index(p)),
        ],
        args: [
          newEpoch(),
          Date.now(),
          limits.size,
          limits.ttl,
          limits.maxBytes,
          this.#historyKeep(limits),
          template.head,
          template.tail,
          o.maxQueue,
          o.maxQueueBytes,
          o.queuePolicy,
          o.keyTtl,
          o.bodyTtl,
          c0,
          c1,
          q0,
          q1,
        ],
      },
    ]);
    const [offset, epoch, ids, results] = reply as [number, string, string[], RedisReply[]];
    const count = await this.#host.afterEnqueue(ids, results, patterns);
    return { count, position: { offset, epoch } };
  }

  async subscribeHistory(
    clientId: string,
    channel: string,
    query: HistoryQuery | undefined,
    limits: HistoryLimits,
  ): Promise<HistorySubscribeResult> {
    if (this.cluster !== undefined)
      return this.cluster.subscribeHistory(clientId, channel, this.#readArgs(query, limits));
    const k = this.#host.keys;
    const o = this.#host.options;
    const [reply] = await this.#host.run('subscribeHistory', [
      {
        script: SUBSCRIBE_HISTORY,
        keys: [
          k.client(clientId),
          k.subs(clientId),
          k.index(channel),
          k.history(channel),
          k.historyList(channel),
          k.queue(clientId),
        ],
        // SUBSCRIBE_HISTORY's ARGV 4-13 are READ_HISTORY's ARGV.
        args: [
          channel,
          o.maxSubscriptions,
          o.keyTtl,
          ...this.#readArgs(query, limits),
          o.maxQueue,
          o.maxQueueBytes,
          clientId,
        ],
      },
    ]);
    const [status, epoch = '', last = 0, complete = 0, node = '', ...messages] = reply as [
      number,
      string,
      number,
      number,
      string,
      ...string[],
    ];
    if (status === -1) return { ok: false, reason: 'unknown-client' };
    if (status === -2) return { ok: false, reason: 'too-many-subscriptions' };
    if (messages.length > 0) await this.#host.afterEnqueue([clientId], [[node, 0, 0, '']], []);
    return { ok: true, read: { position: { offset: last, epoch }, messages, complete: complete === 1 } };
  }

  async readHistory(channel: string, query: HistoryQuery, limits: HistoryLimits): Promise<HistoryRead> {
    const [reply] = await this.#host.run('readHistory', [
      {
        script: READ_HISTORY,
        keys: [this.#host.keys.history(channel), this.#host.keys.historyList(channel)],
        args: this.#readArgs(query, limits),
      },
    ]);
    const [epoch, last, complete, ...messages] = reply as [string, number, number, ...string[]];
    return { position: { offset: last, epoch }, messages, complete: complete === 1 };
  }

  /** READ_HISTORY's arguments (SUBSCRIBE_HISTORY's and the Cluster's read too). */
  #readArgs(query: HistoryQuery | undefined, limits: HistoryLimits): (string | number)[] {
    return [
      newEpoch(),
      Date.now(),
      limits.size,
      limits.ttl,
      limits.maxBytes,
      limits.maxRecovery,
      this.#historyKeep(limits),
      ...queryArgs(query),
    ];
  }

  /**
   * Ms a channel's history keys live after its last publish: past `ttl` every message is gone anyway; the
   * keyTtl margin keeps the epoch (and offset) of a quiet channel for its subscribers' recoveries.
   */
  #historyKeep(limits: HistoryLimits): number {
    return limits.ttl + this.#host.options.keyTtl;
  }
}
