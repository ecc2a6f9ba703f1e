// Presence of the Redis engine, Cluster-safe: a client's keys (`{<clientId>}`: its HASH with its info,
// and `pc`, the channels it is present in) and a channel's presence keys (`{<channel>}`: the ZSET of
// members in join order, the HASH of their info) are different slots, so no script touches both. Each
// change is split into one-slot steps in the order that stays correct when the node running them dies
// between two steps (a process crash; Redis itself keeps every step it acknowledged):
//
//   join    1. client slot: mark the channel in `pc` (unknown client: stop)  2. channel slot: add
//           3. client slot: does the client still exist? if not (destroyed meanwhile: its destroy may have
//              left the sets before step 2) 4. remove it again.
//           Dying after 1: a stale `pc` entry; the destroy's removal finds nothing, no leave is told.
//   leave   1. channel slot: remove  2. client slot: unmark. Dying after 1: a stale `pc` entry (harmless).
//   destroy 1. client slot: delete the client's keys, read `pc` (DESTROY/EXPIRE_IDLE: decided once; on ONE
//              Redis server that script also leaves the sets, atomically, and step 2 is not needed)
//           2. channel slots: remove from each set; the removal that found the member tells the leave.
//           Dying after 1: members whose client keys are gone. A listing finds them (EXISTS on their client
//           keys), removes them and tells their leave on ITS node (reason 'expired'): still once, since
//           of racing removals exactly one finds the member.
//
// Unlike the one-server scripts they replace, the steps are not one atomic step: a listing made between
// the steps of a join or destroy sees the member before (or after) the others do; every join and leave
// is still told once.

import type {
  DeliverySink,
  DestroyReason,
  PresenceChange,
  PresenceMember,
  PresenceSnapshot,
} from '@pushwire/server';
import type { Keys } from './keys.js';
import type { ResolvedRedisOptions } from './options.js';
import type { RedisCommand, RedisReply } from './port.js';
import { PRESENCE_ADD, PRESENCE_MARK, PRESENCE_READ, PRESENCE_REMOVE } from './scripts-presence.js';

/** What presence needs from its engine. */
export interface PresenceHost {
  readonly keys: Keys;
  readonly options: Readonly<ResolvedRedisOptions>;
  run(operation: string, commands: readonly RedisCommand[]): Promise<RedisReply[]>;
  sink(): DeliverySink | undefined;
  /** True on a Redis Cluster (else one Redis server: a destroy leaves the sets in its own script). */
  readonly cluster: boolean;
}

/** PRESENCE_REMOVE's reply. */
type Removed = [number, number, string?];

export class Presence {
  readonly #h: PresenceHost;

  constructor(host: PresenceHost) {
    this.#h = host;
  }

  #remove(channel: string, clientId: string): RedisCommand {
    const k = this.#h.keys;
    return {
      script: PRESENCE_REMOVE,
      keys: [k.presence(channel), k.presenceInfo(channel)],
      args: [clientId],
    };
  }

  async join(channel: string, clientId: string): Promise<PresenceChange> {
    const k = this.#h.keys;
    const [info, count] = await this.#h.run('presenceJoin', [
      {
        script: PRESENCE_MARK,
        keys: [k.client(clientId), k.clientPresence(clientId)],
        args: [channel, this.#h.options.keyTtl],
      },
      ['ZCARD', k.presence(channel)],
    ]);
    if (typeof info !== 'string') return { changed: false, count: count as number };
    const [[added, after]] = (await this.#h.run('presenceJoin', [
      {
        script: PRESENCE_ADD,
        keys: [k.presence(channel), k.presenceInfo(channel)],
        args: [clientId, info],
      },
    ])) as [[number, number]];
    if (added !== 1) return { changed: false, count: after };
    const joined: PresenceChange = { changed: true, count: after, member: { clientId, info } };
    const [exists] = await this.#h.run('presenceJoin', [['EXISTS', k.client(clientId)]]);
    if (exists === 1) return joined;
    // Destroyed between steps 1 and 3: undo. If another removal got there first, it told the leave:
    // the join is then told too, so the pair stays whole.
    const [[removed, left]] = (await this.#h.run('presenceJoin', [this.#remove(channel, clientId)])) as [
      Removed,
    ];
    return removed === 1 ? { changed: false, count: left } : joined;
  }

  async leave(channel: string, clientId: string): Promise<PresenceChange> {
    const [[removed, count, info]] = (await this.#h.run('presenceLeave', [
      this.#remove(channel, clientId),
    ])) as [Removed];
    // Unmarked after the set (a crash in between leaves only a stale mark).
    await this.#h.run('presenceLeave', [['SREM', this.#h.keys.clientPresence(clientId), channel]]);
    if (removed !== 1) return { changed: false, count };
    return { changed: true, count, member: { clientId, info: info ?? 'null' } };
  }

  async snapshot(channel: string, maxMembers: number): Promise<PresenceSnapshot> {
    const k = this.#h.keys;
    const [reply] = await this.#h.run('presence', [
      { script: PRESENCE_READ, keys: [k.presence(channel), k.presenceInfo(channel)], args: [maxMembers] },
    ]);
    const [count, ...pairs] = reply as [number, ...string[]];
    if (count > maxMembers) return { count };
    const members: PresenceMember[] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2)
      members.push({ clientId: pairs[i] as string, info: pairs[i + 1] as string });
    if (members.length === 0) return { count, members };
    // Members whose client keys are gone (a node died between a destroy's steps, or every node died and
    // keyTtl passed): removed here, their leave told once.
    const exists = await this.#h.run(
      'presence',
      members.map((m) => ['EXISTS', k.client(m.clientId)] as const),
    );
    const gone = members.filter((_, i) => exists[i] !== 1);
    if (gone.length === 0) return { count, members };
    const removed = await this.#h.run(
      'presence',
      gone.map((m) => this.#remove(channel, m.clientId)),
    );
    gone.forEach((m, i) => {
      const [won, after] = removed[i] as Removed;
      if (won === 1) this.#h.sink()?.left?.(channel, m, after, 'expired');
    });
    const live = members.filter((_, i) => exists[i] === 1);
    return { count: live.length, members: live };
  }

  /**
   * The presence arguments of DESTROY / EXPIRE_IDLE: on one Redis server the key parts, so the script
   * leaves the sets itself (atomic, and no extra round trip); on a Cluster none (step 2 below).
   */
  destroyArgs(clientId: string): string[] {
    if (this.#h.cluster) return ['', '', clientId];
    return [...this.#h.keys.presenceParts(), clientId];
  }

  /** Step 2 of a destroy on a Cluster: leave every set the client marked (run AFTER the step that deleted it). */
  removeCommands(clientId: string, channels: readonly string[]): RedisCommand[] {
    return channels.map((channel) => this.#remove(channel, clientId));
  }

  /** Tells THIS node's sink the leaves that `removeCommands`' replies won (once per leave, after destroyed). */
  reportLeaves(
    clientId: string,
    channels: readonly string[],
    replies: readonly RedisReply[],
    reason: DestroyReason,
  ): void {
    channels.forEach((channel, i) => {
      const [won, count, info] = replies[i] as Removed;
      if (won === 1) this.#h.sink()?.left?.(channel, { clientId, info: info ?? 'null' }, count, reason);
    });
  }
}
