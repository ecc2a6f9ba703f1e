// The expiry sweep. Every node ticks every sweepInterval (ONE timer per node, never one per client) and
// records itself in the live-nodes ZSET; the node that wins the lock (`SET NX PX`, released when done)
// sweeps, in two round trips before its sink hears anything:
//   1. the lock, the clients idle past maxInterval (liveness ZSET, at most sweepBatch) and the live nodes;
//   2. idle clients that THIS node's sink holds (a held /meta/connect, DeliverySink.isHeld) are pinged; the
//      others go through one script each, on the client's own slot, that destroys the client only if it is
//      still idle and no OTHER live node holds it (a ping that raced in keeps it). Those held by another
//      live node are handed to that node (`x` message): only it knows whether it holds their connect.
// The clients destroyed are this node's or a dead node's: this node's sink is told.

import type { DeliverySink, DropInfo } from '@pushwire/server';
import type { Keys } from './keys.js';
import type { ResolvedRedisOptions } from './options.js';
import type { RedisCommand, RedisReply } from './port.js';
import { EXPIRE_IDLE, UNLOCK } from './scripts.js';
import { nodeMessage } from './wire.js';

export interface SweepHost {
  readonly options: Readonly<ResolvedRedisOptions>;
  readonly keys: Keys;
  readonly nodeId: string;
  readonly closed: boolean;
}

export interface SweepActions {
  run(operation: string, commands: readonly RedisCommand[]): Promise<RedisReply[]>;
  sink(): DeliverySink | undefined;
  report(error: unknown): void;
  /** Tells this node's sink (and diagnostics) that these clients expired, with what went with them. */
  expired(expired: ReadonlyArray<readonly [string, DropInfo]>): void;
  ping(ids: string[]): Promise<void>;
  /** DESTROY / EXPIRE_IDLE's presence arguments for a client (presence.ts). */
  presenceArgs(clientId: string): string[];
  /** The commands removing a client the sweep destroyed from its presence sets (presence.ts). */
  leaveCommands(clientId: string, channels: readonly string[]): RedisCommand[];
  /** Tells this node's sink the leaves those commands' replies won. */
  reportLeaves(clientId: string, channels: readonly string[], replies: readonly RedisReply[]): void;
}

/** A sweep's closing batch: clean-up commands, and what to tell once their replies are in. */
class Closing {
  readonly commands: RedisCommand[] = [];
  readonly #then: Array<(replies: RedisReply[]) => void> = [];

  add(...commands: RedisCommand[]): void {
    this.commands.push(...commands);
  }

  /** Adds `commands`; `then` gets their replies after the batch ran. */
  addThen(commands: RedisCommand[], then: (replies: RedisReply[]) => void): void {
    const at = this.commands.length;
    this.commands.push(...commands);
    this.#then.push((replies) => then(replies.slice(at, at + commands.length)));
  }

  async run(run: SweepActions['run']): Promise<void> {
    if (this.commands.length === 0) return;
    const replies = await run('sweep', this.commands);
    for (const then of this.#then) then(replies);
  }
}

export class Sweeper {
  readonly #host: SweepHost;
  readonly #act: SweepActions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #inFlight: Promise<void> | undefined;
  /** A tick came while a sweep ran: sweep once more right after (no tick is lost). */
  #again = false;
  #spin: ReturnType<typeof setTimeout> | undefined;

  constructor(host: SweepHost, actions: SweepActions) {
    this.#host = host;
    this.#act = actions;
  }

  /** The sweep running now, if any: calls on this node wait for it (they see its result, as in memory). */
  get inFlight(): Promise<void> | undefined {
    return this.#inFlight;
  }

  start(): void {
    this.#timer = setInterval(() => this.tick(), this.#host.options.sweepInterval);
    this.#timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#again = false;
    await this.#inFlight;
  }

  tick(): void {
    if (this.#host.closed) return;
    if (this.#inFlight !== undefined) {
      this.#again = true;
      return;
    }
    const p = this.#loop().finally(() => {
      if (this.#inFlight === p) this.#inFlight = undefined;
      if (this.#spin !== undefined) clearTimeout(this.#spin);
      this.#spin = undefined;
    });
    this.#inFlight = p;
    this.#armSpin();
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      await this.#sweep().catch((err: unknown) => this.#act.report(err));
    } while (this.#again && !this.#host.closed);
  }

  /**
   * While a sweep is in flight, one 1 ms timer stays armed (re-armed as it fires). It does no work; it
   * makes the sweep's Redis round trips part of the timer schedule, so a clock driven timer by timer
   * (vitest fake timers in the engine conformance suite, with real I/O) lets the sweep finish before it
   * moves past the next tick, as it would in real time. Cost: about one timer per ms spent sweeping.
   */
  #armSpin(): void {
    this.#spin = setTimeout(() => {
      this.#spin = undefined;
      if (this.#inFlight !== undefined) this.#armSpin();
    }, 1);
    this.#spin.unref?.();
  }

  async #sweep(): Promise<void> {
    const { options, keys, nodeId } = this.#host;
    const now = Date.now();
    const deadline = now - options.maxInterval;
    const [, lock, found, live] = await this.#act.run('sweep', [
      ['ZADD', keys.nodes, now, nodeId],
      ['SET', keys.sweepLock, nodeId, 'NX', 'PX', options.sweepLockTtl],
      // `(` excludes the deadline itself: a client seen exactly maxInterval ago is still fresh.
      ['ZRANGEBYSCORE', keys.seen, '-inf', `(${deadline}`, 'LIMIT', 0, options.sweepBatch],
      ['ZRANGEBYSCORE', keys.nodes, `(${now - options.nodeTtl}`, '+inf'],
    ]);
    if (lock !== 'OK') return;
    const after = new Closing();
    // Nodes silent for 10 x nodeTtl are forgotten (the live test above already ignores them).
    after.add(['ZREMRANGEBYSCORE', keys.nodes, '-inf', now - 10 * options.nodeTtl]);
    try {
      const alive = (live as string[]).filter((n) => n !== nodeId);
      await this.#check(found as string[], deadline, alive, after);
    } finally {
      after.add({ script: UNLOCK, keys: [keys.sweepLock], args: [nodeId] });
      await after.run(this.#act.run);
    }
  }

  /** An `x` message from the sweeping node: these idle clients were last seen by this node. */
  async checkHere(ids: readonly string[], deadline: number): Promise<void> {
    if (ids.length === 0 || this.#host.closed) return;
    const after = new Closing();
    await this.#check(ids, deadline, '*', after);
    await after.run(this.#act.run);
  }

  /**
   * Pings the idle clients this node holds and expires the others unless another live node holds them
   * (`alive`: the other live nodes, or '*' for "every other node"). Clean-up commands go to `after`.
   */
  async #check(
    ids: readonly string[],
    deadline: number,
    alive: string[] | '*',
    after: Closing,
  ): Promise<void> {
    if (ids.length === 0) return;
    const { keys, nodeId } = this.#host;
    const sink = this.#act.sink();
    const held: string[] = [];
    const idle: string[] = [];
    for (const id of ids) (sink?.isHeld?.(id) === true ? held : idle).push(id);
    const args = alive === '*' ? ['*'] : alive;
    const [replies] = await Promise.all([
      idle.length === 0
        ? Promise.resolve([] as RedisReply[])
        : this.#act.run(
            'sweep',
            idle.map((id) => ({
              script: EXPIRE_IDLE,
              keys: keys.ofClient(id),
              args: [deadline, nodeId, ...this.#act.presenceArgs(id), ...args],
            })),
          ),
      this.#act.ping(held),
    ]);
    const expired: [string, DropInfo][] = [];
    const leaves: Array<[string, string[]]> = [];
    const told: Array<[string, string[], RedisReply[]]> = [];
    const elsewhere = new Map<string, string[]>();
    idle.forEach((id, i) => {
      const reply = (replies[i] ?? [2]) as unknown as [number, string?, ...unknown[]];
      const [verdict, node] = reply;
      if (verdict === 1) {
        const [, , dropped = 0, bytes = 0, , present = [], removals = [], ...patterns] = reply as unknown as [
          number,
          string,
          number,
          number,
          string,
          string[],
          RedisReply[],
          ...string[],
        ];
        expired.push([id, { dropped, bytes }]);
        if (removals.length > 0) told.push([id, present, removals]);
        else if (present.length > 0) leaves.push([id, present]);
        after.add(['ZREM', keys.seen, id]);
        for (const p of patterns) after.add(['SREM', keys.index(p), id]);
      } else if (verdict === -1) {
        after.add(['ZREM', keys.seen, id]); // its keys expired (keyTtl): only the index entry is left
      } else if (verdict === 0 && node !== undefined) {
        let list = elsewhere.get(node);
        if (list === undefined) elsewhere.set(node, (list = []));
        list.push(id);
      }
    });
    for (const [node, list] of elsewhere) {
      after.add([
        'PUBLISH',
        keys.wakeChannel(node),
        nodeMessage({ kind: 'check-expired', deadline, ids: list }),
      ]);
    }
    this.#act.expired(expired);
    // After `destroyed`, as the Engine contract says; on this node, the one that destroyed them.
    // One Redis server: the script left the sets already.
    for (const [id, channels, removals] of told) this.#act.reportLeaves(id, channels, removals);
    // On a Cluster the presence sets are other slots: left in the closing batch, AFTER the step that deleted the client
    // (presence.ts), and told after `destroyed`, as the Engine contract says.
    for (const [id, channels] of leaves) {
      after.addThen(this.#act.leaveCommands(id, channels), (replies) =>
        this.#act.reportLeaves(id, channels, replies),
      );
    }
  }
}
