// The expiry sweep. Every node ticks every sweepInterval (ONE timer per node, never one per client) and
// refreshes its liveness key; the node that wins the lock (`SET NX PX`, released when done) sweeps:
// it reads the clients idle past maxInterval from the liveness ZSET (at most sweepBatch), and
//   - those held by THIS node's sink (a held /meta/connect, DeliverySink.isHeld) are pinged, not expired;
//   - those whose node is another live node are handed to that node (`x` message): only it knows
//     whether it holds their connect;
//   - the rest (this node's, or of a node that died) are expired.
// Expiring claims the ZSET entry with a script that removes it only if it is STILL older than the
// deadline, so a ping that raced in keeps the client, and exactly one node tells its sink.

import type { DeliverySink, DestroyReason } from '@pushwire/server';
import type { Keys } from './keys.js';
import type { ResolvedRedisOptions } from './options.js';
import type { RedisCommand, RedisReply } from './port.js';
import { CLAIM_EXPIRED, UNLOCK } from './scripts.js';
import type { NodeMessage } from './wire.js';

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
  removeClaimed(ids: string[], reason: DestroyReason, tellHere: boolean): Promise<void>;
  ping(ids: string[]): Promise<void>;
  send(node: string, message: NodeMessage): Promise<void>;
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
    const deadline = Date.now() - options.maxInterval;
    const [, lock] = await this.#act.run('sweep', [
      ['SET', keys.node(nodeId), '1', 'PX', options.nodeTtl],
      ['SET', keys.sweepLock, nodeId, 'NX', 'PX', options.sweepLockTtl],
    ]);
    if (lock !== 'OK') return;
    try {
      // `(` excludes the deadline itself: a client seen exactly maxInterval ago is still fresh.
      const [found] = await this.#act.run('sweep', [
        ['ZRANGEBYSCORE', keys.seen, '-inf', `(${deadline}`, 'LIMIT', 0, options.sweepBatch],
      ]);
      const ids = found as string[];
      if (ids.length === 0) return;
      const nodes = await this.#act.run(
        'sweep',
        ids.map((id) => ['HGET', keys.client(id), 'node'] as const),
      );
      const here: string[] = [];
      const elsewhere = new Map<string, string[]>();
      ids.forEach((id, i) => {
        const node = nodes[i];
        if (typeof node !== 'string' || node === '' || node === nodeId) here.push(id);
        else {
          let list = elsewhere.get(node);
          if (list === undefined) elsewhere.set(node, (list = []));
          list.push(id);
        }
      });
      const orphans: string[] = [];
      const others = [...elsewhere.keys()];
      if (others.length > 0) {
        const alive = await this.#act.run(
          'sweep',
          others.map((n) => ['EXISTS', keys.node(n)] as const),
        );
        const sends: Promise<void>[] = [];
        others.forEach((node, i) => {
          const list = elsewhere.get(node) ?? [];
          if (alive[i] === 1)
            sends.push(this.#act.send(node, { kind: 'check-expired', deadline, ids: list }));
          else orphans.push(...list);
        });
        await Promise.all(sends);
      }
      await Promise.all([this.checkHere(here, deadline), this.#expire(orphans, deadline, true)]);
    } finally {
      await this.#act.run('sweep', [{ script: UNLOCK, keys: [keys.sweepLock], args: [nodeId] }]);
    }
  }

  /** Expires the idle clients this node knows it does not hold; pings those it holds (Bayeux §4.2.2). */
  async checkHere(ids: readonly string[], deadline: number): Promise<void> {
    if (ids.length === 0 || this.#host.closed) return;
    const sink = this.#act.sink();
    const held: string[] = [];
    const idle: string[] = [];
    for (const id of ids) (sink?.isHeld?.(id) === true ? held : idle).push(id);
    await Promise.all([this.#act.ping(held), this.#expire(idle, deadline, false)]);
  }

  async #expire(ids: string[], deadline: number, orphans: boolean): Promise<void> {
    if (ids.length === 0) return;
    const seen = this.#host.keys.seen;
    const claims = await this.#act.run(
      'sweep',
      ids.map((id) => ({ script: CLAIM_EXPIRED, keys: [seen], args: [id, deadline] })),
    );
    await this.#act.removeClaimed(
      ids.filter((_, i) => claims[i] === 1),
      'expired',
      orphans,
    );
  }
}
