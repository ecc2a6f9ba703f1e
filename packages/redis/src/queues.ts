// Message queues of the Redis engine: a publish reads the pattern index sets of `expand(channel)` only
// (O(patterns)), then queues for every recipient in ONE pipeline; a message with several recipients is
// stored ONCE and queued by reference (from SHARE_MIN_BYTES on; a smaller one is queued inline). Each recipient's node (the one that last pinged it) is woken over ITS
// pub/sub channel only, never every node. Taking a queue resolves shared bodies in one round trip.

import { expand, type Message } from '@pushwire/bayeux';
import type { DeliverySink, DestroyReason, EncodedMessage, QueueLimit, QueueTake } from '@pushwire/server';
import { dropChannel } from './diagnostics.js';
import { type ClusterHistory, plainEntry } from './history-cluster.js';
import { InOrder } from './in-order.js';
import { type Keys, SHARE_MIN_BYTES } from './keys.js';
import type { ResolvedRedisOptions } from './options.js';
import type { RedisCommand, RedisReply } from './port.js';
import { ENQUEUE, TAKE } from './scripts.js';
import { nodeMessage } from './wire.js';

/** Queue entry tags: `=<json>` the message itself, or `@<bytes> <key>` a body shared by several queues. */
const INLINE = '=';
const SHARED = '@';

function sharedKey(entry: string): string {
  return entry.slice(entry.indexOf(' ') + 1);
}

/** What the queues need from their engine. */
export interface QueueHost {
  readonly keys: Keys;
  readonly options: Readonly<ResolvedRedisOptions>;
  readonly nodeId: string;
  /** True on a Redis Cluster (RedisPort.cluster): no command may span slots. */
  readonly cluster: boolean;
  run(operation: string, commands: readonly RedisCommand[]): Promise<RedisReply[]>;
  sink(): DeliverySink | undefined;
  destroy(clientId: string, reason: DestroyReason): Promise<void>;
  newId(): string;
  /** The Cluster history (takes order history entries and fill gaps); undefined on one Redis server. */
  history(): ClusterHistory | undefined;
}

/** The clients of several index sets, each once (the first set is used as is when it is the only one). */
function union(sets: string[][]): string[] {
  let targets: string[] = [];
  let seen: Set<string> | undefined;
  for (const set of sets) {
    if (set.length === 0) continue;
    if (targets.length === 0) targets = set;
    else {
      seen ??= new Set(targets);
      for (const id of set) seen.add(id);
    }
  }
  return seen === undefined ? targets : [...seen];
}

export class Queues {
  readonly #h: QueueHost;
  readonly #order = new InOrder();

  constructor(host: QueueHost) {
    this.#h = host;
  }

  async publish(message: Message, encoded: EncodedMessage): Promise<number> {
    // Exactly two round trips for every publish (index reads, then queueing), the queueing sent in the
    // order the publishes began (in-order.ts: on a Cluster the index reads span nodes): publishes issued
    // in order reach every queue in that order, awaited or not.
    const patterns = expand(message.channel);
    const indexes = patterns.map((p) => this.#h.keys.index(p));
    // One SUNION on one Redis server (one command for all of expand(channel), as faye-redis does); on a
    // Cluster the index sets are in other slots, so one SMEMBERS each (a SUNION across slots is refused).
    const read = () =>
      this.#h.run(
        'publish',
        this.#h.cluster ? indexes.map((key) => ['SMEMBERS', key] as const) : [['SUNION', ...indexes]],
      );
    return this.#order.run(read, async (sets) => {
      const targets = union(sets as string[][]);
      if (targets.length === 0) return 0;
      const commands: RedisCommand[] = [];
      let entry = INLINE + encoded;
      if (targets.length > 1 && Buffer.byteLength(encoded) >= SHARE_MIN_BYTES) {
        // Stored once; every recipient's queue holds its key and size (README: "one copy per publish").
        const body = this.#h.keys.body(this.#h.newId());
        commands.push(['SET', body, encoded, 'PX', this.#h.options.bodyTtl]);
        entry = `${SHARED}${Buffer.byteLength(encoded)} ${body}`;
      }
      for (const id of targets) commands.push(this.#enqueue(id, [entry], false));
      const replies = await this.#h.run('publish', commands);
      return this.afterEnqueue(targets, replies.slice(commands.length - targets.length), patterns);
    });
  }

  async deliver(clientId: string, encoded: EncodedMessage[]): Promise<void> {
    if (encoded.length === 0) return;
    const entries = encoded.map((e) => INLINE + e);
    const replies = await this.#h.run('deliver', [this.#enqueue(clientId, entries, false)]);
    await this.afterEnqueue([clientId], replies, []);
  }

  /**
   * Puts messages taken but not delivered back at the HEAD of the queue, in their order, ahead of what
   * was queued meanwhile (an interrupted delivery must not reorder).
   */
  async requeue(clientId: string, encoded: EncodedMessage[]): Promise<void> {
    if (encoded.length === 0) return;
    const entries = encoded.map((e) => INLINE + e);
    const replies = await this.#h.run('requeue', [this.#enqueue(clientId, entries, true)]);
    await this.afterEnqueue([clientId], replies, []);
  }

  #enqueue(clientId: string, entries: string[], head: boolean): RedisCommand {
    const o = this.#h.options;
    return {
      script: ENQUEUE,
      keys: [this.#h.keys.client(clientId), this.#h.keys.queue(clientId)],
      args: [o.maxQueue, o.maxQueueBytes, o.queuePolicy, head ? '1' : '0', ...entries],
    };
  }

  /** Wakes the recipients' nodes, drops slow clients, unindexes vanished ones; the number queued for. */
  async afterEnqueue(ids: string[], replies: RedisReply[], patterns: string[]): Promise<number> {
    const local: string[] = [];
    const remote = new Map<string, string[]>();
    const slow: string[] = [];
    const commands: RedisCommand[] = [];
    let queued = 0;
    ids.forEach((id, i) => {
      const r = replies[i];
      if (r === null || r === undefined) {
        // Unknown client (destroyed meanwhile, or its keys expired): drop it from the indexes we read.
        for (const p of patterns) commands.push(['SREM', this.#h.keys.index(p), id]);
        return;
      }
      if (r === 'slow') {
        slow.push(id);
        return;
      }
      queued++;
      const [node, dropped, bytes, limit] = r as [string, number, number, QueueLimit];
      if (dropped > 0) {
        // A documented loss, told on this node (the one whose delivery made the queue overflow).
        if (dropChannel.hasSubscribers) dropChannel.publish({ clientId: id, dropped, bytes, limit });
        this.#h.sink()?.dropped?.(id, { dropped, bytes, limit });
      }
      if (node === '' || node === this.#h.nodeId) local.push(id);
      else {
        let list = remote.get(node);
        if (list === undefined) remote.set(node, (list = []));
        list.push(id);
      }
    });
    for (const [node, list] of remote) {
      commands.push(['PUBLISH', this.#h.keys.wakeChannel(node), nodeMessage({ kind: 'wake', ids: list })]);
    }
    for (const id of local) this.#h.sink()?.wake(id);
    await Promise.all([
      commands.length > 0 ? this.#h.run('wake', commands) : undefined,
      ...slow.map((id) => this.#h.destroy(id, 'slow')),
    ]);
    return queued;
  }

  async takeQueue(clientId: string, maxBytes?: number, journal?: string): Promise<EncodedMessage[]> {
    return (await this.takeQueueWithMore(clientId, maxBytes, journal)).messages;
  }

  /** One script (TAKE, or TAKE_MARKED on a Cluster) takes and says whether entries are left. */
  async takeQueueWithMore(clientId: string, maxBytes?: number, journal?: string): Promise<QueueTake> {
    const budget = maxBytes === undefined ? 0 : Math.max(1, Math.floor(maxBytes));
    const field = journal === undefined ? '' : this.#h.keys.stateField(journal);
    const history = this.#h.history();
    if (history !== undefined) {
      const [reply] = await this.#h.run('takeQueue', [history.takeCommand(clientId, budget, field)]);
      const more = (reply as RedisReply[])[2] === 1;
      const entries = await history.order(clientId, reply as RedisReply, field);
      return { messages: await this.#resolve(clientId, entries), more };
    }
    const [reply] = await this.#h.run('takeQueue', [
      {
        script: TAKE,
        keys: [this.#h.keys.client(clientId), this.#h.keys.queue(clientId)],
        args: [budget, field],
      },
    ]);
    const [more, items] = reply as [number, string[]];
    return { messages: await this.#resolve(clientId, items), more: more === 1 };
  }

  async readJournal(clientId: string, journal: string): Promise<EncodedMessage[]> {
    const [text] = await this.#h.run('readJournal', [
      ['HGET', this.#h.keys.client(clientId), this.#h.keys.stateField(journal)],
    ]);
    if (typeof text !== 'string') return [];
    // Lua's cjson writes an empty array as {}; entries are strings either way.
    const parsed = JSON.parse(text) as unknown;
    return this.#resolve(clientId, Array.isArray(parsed) ? (parsed as string[]) : []);
  }

  /** Queue entries to messages: inline ones as they are, shared ones read by key (one round trip). */
  async #resolve(clientId: string, taken: string[]): Promise<EncodedMessage[]> {
    // A journal holds entries as queued: a Cluster history entry wraps a plain one.
    const entries = taken.map(plainEntry);
    const shared = [...new Set(entries.filter((e) => e.startsWith(SHARED)).map(sharedKey))];
    const bodies = new Map<string, string | null>();
    if (shared.length > 0) {
      const got = await this.#h.run(
        'takeQueue',
        shared.map((key) => ['GET', key] as const),
      );
      shared.forEach((key, i) => {
        bodies.set(key, got[i] as string | null);
      });
    }
    const out: EncodedMessage[] = [];
    let lost = 0;
    for (const e of entries) {
      if (e.startsWith(INLINE)) out.push(e.slice(1));
      else {
        const body = bodies.get(sharedKey(e));
        if (typeof body === 'string') out.push(body);
        else lost++;
      }
    }
    if (lost > 0 && dropChannel.hasSubscribers) {
      dropChannel.publish({ clientId, dropped: lost, reason: 'body-expired' });
    }
    return out;
  }
}
