// Message queues of the Redis engine: a publish reads the pattern index sets of `expand(channel)` only
// (O(patterns)), then queues for every recipient in ONE pipeline of few script calls (ENQUEUE_MANY, up to
// FANOUT_BATCH recipients each, issue 12); a message with several recipients is stored ONCE and queued by
// reference (from SHARE_MIN_BYTES on; a smaller one is queued inline). Each recipient's node (the one that
// last pinged it) is woken over ITS pub/sub channel only, never every node, with one message listing its
// recipients. Takes asked for in the same turn (a fan-out flushing every woken socket) go out together,
// as few TAKE_MANY calls in one round trip, and their shared bodies are read once for all of them.

import { expand, type Message } from '@pushwire/bayeux';
import type { DeliverySink, DestroyReason, EncodedMessage, QueueLimit, QueueTake } from '@pushwire/server';
import { dropChannel } from './diagnostics.js';
import { type ClusterHistory, plainEntry } from './history-cluster.js';
import { InOrder } from './in-order.js';
import { type Keys, SHARE_MIN_BYTES } from './keys.js';
import { keySlot } from './keyslot.js';
import type { ResolvedRedisOptions } from './options.js';
import type { RedisCommand, RedisReply } from './port.js';
import { ENQUEUE, ENQUEUE_MANY, TAKE_MANY } from './scripts.js';
import { nodeMessage } from './wire.js';

/** Queue entry tags: `=<json>` the message itself, or `@<bytes> <key>` a body shared by several queues. */
const INLINE = '=';
const SHARED = '@';

function sharedKey(entry: string): string {
  return entry.slice(entry.indexOf(' ') + 1);
}

/**
 * Most clients one ENQUEUE_MANY or TAKE_MANY call handles. A script blocks Redis while it runs (about three
 * calls per client), so a fan-out to 100,000 goes as 200 calls of a few ms each, in one round trip, not as
 * one call of half a second; and Lua's stack is never asked for more than 2 x FANOUT_BATCH keys at once.
 */
export const FANOUT_BATCH = 500;

/**
 * `ids` in groups of at most FANOUT_BATCH whose keys all share one Cluster slot (a script may only touch
 * keys of one slot: Redis Cluster spec, and ClusterPort refuses any other). Without `slotOf` (one Redis
 * server, where any clients may go together) the groups are slices in order. On a Cluster every client is
 * its own hash tag (keys.ts), so clients are grouped by `slotOf` (about N / 16384 per group), each group in
 * the order given.
 */
export function fanoutGroups(ids: readonly string[], slotOf?: (id: string) => number): string[][] {
  const out: string[][] = [];
  if (slotOf === undefined) {
    for (let i = 0; i < ids.length; i += FANOUT_BATCH) out.push(ids.slice(i, i + FANOUT_BATCH));
    return out;
  }
  const bySlot = new Map<number, string[]>();
  for (const id of ids) {
    const slot = slotOf(id);
    let group = bySlot.get(slot);
    if (group === undefined || group.length === FANOUT_BATCH) {
      group = [];
      out.push(group);
      bySlot.set(slot, group);
    }
    group.push(id);
  }
  return out;
}

/** A take waiting for the batch of its turn (takeQueueWithMore). */
interface PendingTake {
  readonly clientId: string;
  readonly budget: number;
  readonly field: string;
  readonly resolve: (take: QueueTake) => void;
  readonly reject: (err: unknown) => void;
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
  /** Takes asked for in this turn, sent together on the next tick (#runTakes). */
  #takes: PendingTake[] = [];

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
      const first = commands.length;
      const groups = fanoutGroups(
        targets,
        this.#h.cluster ? (id) => keySlot(this.#h.keys.client(id)) : undefined,
      );
      const o = this.#h.options;
      for (const ids of groups) {
        const keys: string[] = [];
        for (const id of ids) keys.push(this.#h.keys.client(id), this.#h.keys.queue(id));
        commands.push({
          script: ENQUEUE_MANY,
          keys,
          args: [o.maxQueue, o.maxQueueBytes, o.queuePolicy, entry],
        });
      }
      const replies = await this.#h.run('publish', commands);
      // One reply per group, one entry per client in it: flattened in the groups' order.
      const ids = groups.length === 1 ? (groups[0] as string[]) : groups.flat();
      const each: RedisReply[] = [];
      for (let g = first; g < replies.length; g++) for (const r of replies[g] as RedisReply[]) each.push(r);
      return this.afterEnqueue(ids, each, patterns);
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
    let lastNode = '';
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
      // ENQUEUE_MANY answers a bare node id when nothing was dropped (node ids are never 'slow'), and 0
      // when that node is the one of the client queued before it in the same call.
      const [node, dropped, bytes, limit] =
        r === 0
          ? [lastNode, 0, 0, 'maxQueue' as const]
          : typeof r === 'string'
            ? [r, 0, 0, 'maxQueue' as const]
            : (r as [string, number, number, QueueLimit]);
      lastNode = node;
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

  /**
   * One script (TAKE_MANY, or TAKE_MARKED on a Cluster) takes and says whether entries are left. On one
   * Redis server the takes asked for in one turn share the round trip (#runTakes): a fan-out waking N
   * sockets here costs N / FANOUT_BATCH script calls and one pipeline, not N pipelines.
   */
  async takeQueueWithMore(clientId: string, maxBytes?: number, journal?: string): Promise<QueueTake> {
    const budget = maxBytes === undefined ? 0 : Math.max(1, Math.floor(maxBytes));
    const field = journal === undefined ? '' : this.#h.keys.stateField(journal);
    const history = this.#h.history();
    if (history !== undefined) {
      const [reply] = await this.#h.run('takeQueue', [history.takeCommand(clientId, budget, field)]);
      const more = (reply as RedisReply[])[2] === 1;
      const entries = await history.order(clientId, reply as RedisReply, field);
      return { messages: (await this.#resolve([clientId], [entries]))[0] as EncodedMessage[], more };
    }
    return new Promise<QueueTake>((resolve, reject) => {
      // process.nextTick runs once this turn's promise reactions are done: every take a loop of flushes
      // asked for (each behind an `await` in the engine) is in the batch by then.
      if (this.#takes.push({ clientId, budget, field, resolve, reject }) === 1)
        process.nextTick(this.#runTakes);
    });
  }

  readonly #runTakes = (): void => {
    const batch = this.#takes;
    this.#takes = [];
    this.#takeMany(
      batch.map((t) => t.clientId),
      (i) => (batch[i] as PendingTake).budget,
      (i) => (batch[i] as PendingTake).field,
    ).then(
      (takes) => {
        batch.forEach((t, i) => {
          t.resolve(takes[i] as QueueTake);
        });
      },
      (err: unknown) => {
        for (const t of batch) t.reject(err);
      },
    );
  };

  /**
   * Engine.takeQueuesWithMore: the takes of many clients (a fan-out's sockets on this node) in one call,
   * one promise for all. On a Cluster each is its own TAKE_MARKED (history marks, one slot per client).
   */
  async takeQueuesWithMore(clientIds: readonly string[], maxBytes?: number): Promise<QueueTake[]> {
    if (this.#h.history() !== undefined) {
      return Promise.all(clientIds.map((id) => this.takeQueueWithMore(id, maxBytes)));
    }
    const budget = maxBytes === undefined ? 0 : Math.max(1, Math.floor(maxBytes));
    return this.#takeMany(
      clientIds,
      () => budget,
      () => '',
    );
  }

  /**
   * Takes for `clientIds` (budget and journal field of the i-th by `budgetOf(i)`, `fieldOf(i)`): TAKE_MANY
   * calls of FANOUT_BATCH clients in one round trip, then their shared bodies in one more.
   */
  async #takeMany(
    clientIds: readonly string[],
    budgetOf: (i: number) => number,
    fieldOf: (i: number) => string,
  ): Promise<QueueTake[]> {
    if (clientIds.length === 0) return [];
    const commands: RedisCommand[] = [];
    for (let i = 0; i < clientIds.length; i += FANOUT_BATCH) {
      const keys: string[] = [];
      const args: (string | number)[] = [];
      for (let j = i; j < Math.min(i + FANOUT_BATCH, clientIds.length); j++) {
        const id = clientIds[j] as string;
        keys.push(this.#h.keys.client(id), this.#h.keys.queue(id));
        args.push(budgetOf(j), fieldOf(j));
      }
      commands.push({ script: TAKE_MANY, keys, args });
    }
    const replies = await this.#h.run('takeQueue', commands);
    const items: string[][] = [];
    const more: boolean[] = [];
    for (const reply of replies) {
      const flat = reply as RedisReply[];
      for (let k = 0; k < flat.length; k += 2) {
        more.push(flat[k] === 1);
        // 0: the same entries as the client before it in this call (TAKE_MANY): the same array object.
        const got = flat[k + 1];
        items.push(got === 0 ? (items[items.length - 1] as string[]) : (got as string[]));
      }
    }
    const messages = await this.#resolve(clientIds, items);
    return messages.map((m, i) => ({ messages: m, more: more[i] === true }));
  }

  async readJournal(clientId: string, journal: string): Promise<EncodedMessage[]> {
    const [text] = await this.#h.run('readJournal', [
      ['HGET', this.#h.keys.client(clientId), this.#h.keys.stateField(journal)],
    ]);
    if (typeof text !== 'string') return [];
    // Lua's cjson writes an empty array as {}; entries are strings either way.
    const parsed = JSON.parse(text) as unknown;
    return (
      await this.#resolve([clientId], [Array.isArray(parsed) ? (parsed as string[]) : []])
    )[0] as EncodedMessage[];
  }

  /**
   * Queue entries to messages, for several clients' takes at once: inline ones as they are, shared ones
   * read by key, each key ONCE for all of them (one round trip), so every recipient of a shared body gets
   * the same string (and the socket layer encodes it once: batch-frame.ts).
   */
  async #resolve(clientIds: readonly string[], taken: readonly string[][]): Promise<EncodedMessage[][]> {
    let bodies: Map<string, string | null> | undefined;
    let seen: readonly string[] | undefined;
    for (const list of taken) {
      if (list === seen) continue; // a crowd's takes share one list (TAKE_MANY)
      seen = list;
      for (const item of list) {
        // A journal holds entries as queued: a Cluster history entry wraps a plain one.
        const e = plainEntry(item);
        if (!e.startsWith(SHARED)) continue;
        bodies ??= new Map();
        bodies.set(sharedKey(e), null);
      }
    }
    if (bodies !== undefined) {
      const shared = [...bodies.keys()];
      const got = await this.#h.run(
        'takeQueue',
        shared.map((key) => ['GET', key] as const),
      );
      shared.forEach((key, i) => {
        (bodies as Map<string, string | null>).set(key, got[i] as string | null);
      });
    }
    let prevList: readonly string[] | undefined;
    let prevOut: EncodedMessage[] = [];
    let prevLost = 0;
    return taken.map((list, c) => {
      let out: EncodedMessage[];
      let lost = 0;
      if (list === prevList) {
        // A crowd's takes share one list (TAKE_MANY): resolved once, the same strings for every
        // recipient, each in its own array (callers may append to theirs).
        out = prevOut.slice();
        lost = prevLost;
      } else {
        out = [];
        for (const item of list) {
          const e = plainEntry(item);
          if (e.startsWith(INLINE)) out.push(e.slice(1));
          else {
            const body = bodies?.get(sharedKey(e));
            if (typeof body === 'string') out.push(body);
            else lost++;
          }
        }
        prevList = list;
        prevOut = out.slice();
        prevLost = lost;
      }
      if (lost > 0 && dropChannel.hasSubscribers) {
        dropChannel.publish({ clientId: clientIds[c], dropped: lost, reason: 'body-expired' });
      }
      return out;
    });
  }
}
