// Channel history on a Redis Cluster. The one-script history of a single Redis (channel-features.ts)
// cannot run there: the channel's keys and its subscribers' queues are different slots. Here:
//
//   publish    1. channel slot: next offset, append, trim (APPEND_HISTORY)
//              2. the pattern indexes of expand(channel), read AFTER 1
//              3. each recipient's slot: queue a history entry (its offset, epoch and channel travel
//                 with it), unless at or before the client's mark (ENQUEUE_HISTORY)
//   subscribe  1. client slot: subscribe, then the index  2. channel slot: read (and the replay asked for)
//              3. client slot: queue the replay as history entries; the mark becomes its start
//   take       TAKE_MARKED takes the entries and raises each channel's mark to the highest offset taken;
//              then per channel: entries at or before the old mark are dropped (already delivered), the
//              rest sorted by offset, and every offset missing between the old mark and the highest
//              taken is filled from the channel's history (HISTORY_RANGE), so the client gets them all,
//              in order, once.
//
// Why this is enough: two nodes publishing at once can reach a queue out of offset order (N+1 before N),
// and the client drops what is at or before its last seen offset, so a reordering would be a loss. A
// take that meets N+1 without N fills N from the history (appended before N+1 got its offset) and raises
// the mark past it; N arriving later is at or before the mark and is not queued (or is dropped at the
// take). A subscription's index entry is made before its history read, and a publish reads the indexes
// after its append: a message after the subscription's position always reaches the queue.

import { expand, type Message } from '@pushwire/bayeux';
import type {
  HistoryLimits,
  HistoryPosition,
  HistorySubscribeResult,
  PositionTemplate,
} from '@pushwire/server';
import type { ChannelHost } from './channel-features.js';
import { dropChannel } from './diagnostics.js';
import { SHARE_MIN_BYTES } from './keys.js';
import type { RedisCommand, RedisReply } from './port.js';
import { SUBSCRIBE } from './scripts.js';
import { READ_HISTORY } from './scripts-history.js';
import {
  APPEND_HISTORY,
  ENQUEUE_HISTORY,
  HISTORY_RANGE,
  JOURNAL_DELIVERED,
  REPLAY_HISTORY,
  TAKE_MARKED,
} from './scripts-history-cluster.js';

/** A history entry's position and the plain entry it wraps. */
interface Tagged {
  offset: number;
  epoch: string;
  channel: string;
  entry: string;
}

function untag(e: string): Tagged | undefined {
  if (!e.startsWith('h')) return undefined;
  const nl = e.indexOf('\n');
  const head = e.slice(1, nl);
  const a = head.indexOf(' ');
  const b = head.indexOf(' ', a + 1);
  return {
    offset: Number(head.slice(0, a)),
    epoch: head.slice(a + 1, b),
    channel: head.slice(b + 1),
    entry: e.slice(nl + 1),
  };
}

/** A queue entry with its position (README "Key layout": `h<offset> <epoch> <channel>` LF entry). */
export function historyEntry(offset: number, epoch: string, channel: string, entry: string): string {
  return `h${offset} ${epoch} ${channel}\n${entry}`;
}

/** The plain entry inside a history entry (journals hold taken entries as they were queued). */
export function plainEntry(e: string): string {
  return untag(e)?.entry ?? e;
}

/** Whether the delivered entries are the taken ones, unwrapped, in the same order (no fill, no reorder). */
function samePlain(taken: readonly string[], delivered: readonly string[]): boolean {
  return taken.length === delivered.length && taken.every((e, i) => plainEntry(e) === delivered[i]);
}

export class ClusterHistory {
  readonly #host: ChannelHost;
  readonly #epoch: () => string;

  constructor(host: ChannelHost, newEpoch: () => string) {
    this.#host = host;
    this.#epoch = newEpoch;
  }

  async publishHistory(
    message: Message,
    template: PositionTemplate,
    limits: HistoryLimits,
    keep: number,
  ): Promise<{ count: number; position: HistoryPosition }> {
    const k = this.#host.keys;
    const o = this.#host.options;
    const channel = message.channel;
    const [appended] = await this.#host.run('publishHistory', [
      {
        script: APPEND_HISTORY,
        keys: [k.history(channel), k.historyList(channel)],
        args: [
          this.#epoch(),
          Date.now(),
          limits.size,
          limits.ttl,
          limits.maxBytes,
          keep,
          template.head,
          template.tail,
        ],
      },
    ]);
    const [offset, epoch, text] = appended as [number, string, string];
    const patterns = expand(channel);
    const sets = await this.#host.run(
      'publishHistory',
      patterns.map((p) => ['SMEMBERS', k.index(p)] as const),
    );
    const ids = [...new Set((sets as string[][]).flat())];
    if (ids.length === 0) return { count: 0, position: { offset, epoch } };
    const commands: RedisCommand[] = [];
    let entry = `=${text}`;
    if (ids.length > 1 && Buffer.byteLength(text) >= SHARE_MIN_BYTES) {
      // Stored once; every recipient's queue holds its key and size (README: "one copy per publish").
      const body = k.body(this.#host.newId());
      commands.push(['SET', body, text, 'PX', o.bodyTtl]);
      entry = `@${Buffer.byteLength(text)} ${body}`;
    }
    const tagged = historyEntry(offset, epoch, channel, entry);
    for (const id of ids) {
      commands.push({
        script: ENQUEUE_HISTORY,
        keys: [k.client(id), k.queue(id)],
        args: [o.maxQueue, o.maxQueueBytes, o.queuePolicy, o.keyTtl, k.mark(channel), epoch, offset, tagged],
      });
    }
    const replies = await this.#host.run('publishHistory', commands);
    const count = await this.#host.afterEnqueue(ids, replies.slice(commands.length - ids.length), patterns);
    return { count, position: { offset, epoch } };
  }

  async subscribeHistory(
    clientId: string,
    channel: string,
    readArgs: (string | number)[],
  ): Promise<HistorySubscribeResult> {
    const k = this.#host.keys;
    const o = this.#host.options;
    const [r] = await this.#host.run('subscribeHistory', [
      {
        script: SUBSCRIBE,
        keys: [k.client(clientId), k.subs(clientId)],
        args: [channel, o.maxSubscriptions, o.keyTtl],
      },
    ]);
    if (r === -1) return { ok: false, reason: 'unknown-client' };
    if (r === -2) return { ok: false, reason: 'too-many-subscriptions' };
    if (r === 2) await this.#host.run('subscribeHistory', [['SADD', k.index(channel), clientId]]);
    const [read] = await this.#host.run('subscribeHistory', [
      { script: READ_HISTORY, keys: [k.history(channel), k.historyList(channel)], args: readArgs },
    ]);
    const [epoch, last, complete, ...messages] = read as [string, number, number, ...string[]];
    const [replay] = await this.#host.run('subscribeHistory', [
      {
        script: REPLAY_HISTORY,
        keys: [k.client(clientId), k.queue(clientId)],
        args: [
          k.mark(channel),
          epoch,
          last - messages.length,
          o.maxQueue,
          o.maxQueueBytes,
          o.keyTtl,
          channel,
          ...messages,
        ],
      },
    ]);
    const [status, node = '', queued = 0] = replay as [number, string?, number?];
    if (status === -1) return { ok: false, reason: 'unknown-client' };
    const refused = status === 0;
    if (queued > 0) await this.#host.afterEnqueue([clientId], [[node, 0, 0, '']], []);
    return {
      ok: true,
      read: {
        position: { offset: last, epoch },
        messages: refused ? [] : messages,
        complete: !refused && complete === 1,
      },
    };
  }

  /** TAKE_MARKED's command for takeQueue. */
  takeCommand(clientId: string, maxBytes: number, journalField: string): RedisCommand {
    const k = this.#host.keys;
    return {
      script: TAKE_MARKED,
      keys: [k.client(clientId), k.queue(clientId)],
      args: [maxBytes, journalField, k.mark('')],
    };
  }

  /**
   * The entries TAKE_MARKED took, as plain entries in delivery order: each channel's history messages
   * sorted by offset at the place of its first one, without those at or before the old mark, with the
   * gaps filled from the history. With a journal (`journalField`, the one given to takeCommand), the
   * journal is made to hold what is delivered, fills included (JOURNAL_DELIVERED).
   */
  async order(clientId: string, reply: RedisReply, journalField = ''): Promise<string[]> {
    const [items, marks] = reply as [string[], string[]];
    if (marks.length === 0) return items;
    const old = new Map<string, [string, number] | undefined>();
    for (let i = 0; i + 1 < marks.length; i += 2) {
      const m = marks[i + 1] as string;
      const sp = m.indexOf(' ');
      old.set(marks[i] as string, sp === -1 ? undefined : [m.slice(0, sp), Number(m.slice(sp + 1))]);
    }
    // Per channel: the epoch of its last entry (TAKE_MARKED's choice) and its messages by offset.
    const groups = new Map<string, { epoch: string; byOffset: Map<number, string>; stale: string[] }>();
    for (const e of items) {
      const t = untag(e);
      if (t === undefined) continue;
      const g = groups.get(t.channel);
      if (g === undefined) groups.set(t.channel, { epoch: t.epoch, byOffset: new Map(), stale: [] });
      else g.epoch = t.epoch;
    }
    for (const e of items) {
      const t = untag(e);
      if (t === undefined) continue;
      const g = groups.get(t.channel);
      if (g === undefined) continue;
      // An entry of an older epoch (the history was lost meanwhile) has no order with the new one.
      if (t.epoch !== g.epoch) g.stale.push(t.entry);
      else g.byOffset.set(t.offset, t.entry);
    }
    const fills: Array<{ channel: string; from: number; to: number }> = [];
    for (const [channel, g] of groups) {
      const mark = old.get(channel);
      const after = mark !== undefined && mark[0] === g.epoch ? mark[1] : undefined;
      if (after !== undefined)
        for (const off of [...g.byOffset.keys()]) if (off <= after) g.byOffset.delete(off);
      if (g.byOffset.size === 0) continue;
      const offsets = [...g.byOffset.keys()];
      const from = after !== undefined ? after + 1 : Math.min(...offsets);
      const to = Math.max(...offsets);
      let lo = Number.POSITIVE_INFINITY;
      let hi = 0;
      for (let off = from; off <= to; off++)
        if (!g.byOffset.has(off)) {
          lo = Math.min(lo, off);
          hi = off;
        }
      if (hi > 0) fills.push({ channel, from: lo, to: hi });
    }
    if (fills.length > 0) await this.#fill(clientId, fills, groups);
    const out: string[] = [];
    const done = new Set<string>();
    for (const e of items) {
      const t = untag(e);
      if (t === undefined) {
        out.push(e);
        continue;
      }
      if (done.has(t.channel)) continue;
      done.add(t.channel);
      const g = groups.get(t.channel);
      if (g === undefined) continue;
      out.push(...g.stale);
      for (const off of [...g.byOffset.keys()].sort((x, y) => x - y)) out.push(g.byOffset.get(off) as string);
    }
    if (journalField !== '' && !samePlain(items, out))
      await this.#journal(clientId, journalField, items, out);
    return out;
  }

  /** Rewrites this take's journal entries as the delivered ones (one command, only when they differ). */
  async #journal(clientId: string, field: string, taken: string[], delivered: string[]): Promise<void> {
    await this.#host.run('takeQueue', [
      {
        script: JOURNAL_DELIVERED,
        keys: [this.#host.keys.client(clientId)],
        args: [field, taken.length, ...taken, ...delivered],
      },
    ]);
  }

  async #fill(
    clientId: string,
    fills: ReadonlyArray<{ channel: string; from: number; to: number }>,
    groups: Map<string, { epoch: string; byOffset: Map<number, string> }>,
  ): Promise<void> {
    const k = this.#host.keys;
    const replies = await this.#host.run(
      'takeQueue',
      fills.map(({ channel, from, to }) => ({
        script: HISTORY_RANGE,
        keys: [k.history(channel), k.historyList(channel)],
        args: [groups.get(channel)?.epoch ?? '', from, to],
      })),
    );
    let lost = 0;
    fills.forEach(({ channel, from, to }, i) => {
      const g = groups.get(channel);
      const [first, ...texts] = replies[i] as [number, ...string[]];
      if (g === undefined) return;
      for (let off = from; off <= to; off++) {
        if (g.byOffset.has(off)) continue;
        const text = first > 0 ? texts[off - first] : undefined;
        if (text === undefined) lost++;
        else g.byOffset.set(off, `=${text}`);
      }
    });
    // A gap the history no longer holds (trimmed by size, ttl or bytes before the take): told, not hidden.
    if (lost > 0 && dropChannel.hasSubscribers)
      dropChannel.publish({ clientId, dropped: lost, reason: 'history-gap' });
  }
}
