// RedisPort over a Redis Cluster (ioredis `Cluster`). A batch is split by hash slot (keyslot.ts): one
// pipeline per slot, all sent at once, the replies put back in the batch's order. A Cluster pipeline may
// only hold keys of one slot, and a script only keys of one slot (Redis Cluster spec: multi-key operations
// need one slot, else CROSSSLOT); the engine's scripts are written so (keys.ts), and this port refuses a
// script that is not before sending it, so a CROSSSLOT reply can never happen.
//
// Order: commands of one slot keep their order (one pipeline, one node connection). Commands of different
// slots of one batch run concurrently: the engine never relies on an order across slots within a batch
// (README "Redis Cluster": steps that must be ordered across slots are separate batches).
//
// Scripts: every master has its own script cache, so the first call of a script on a node is sent in full
// (EVAL), not by sha: a NOSCRIPT retry would run it after commands sent later (publishes issued in order
// would reach a queue out of order). The shas each node has run are remembered. A node restarted empty
// answers NOSCRIPT and gets the script in full once, as a restarted single server does (ioredis-port.ts).
//
// Pub/sub: classic SUBSCRIBE/PUBLISH on one node (cluster-subscriber.ts; it moves to another node if that
// one fails); a PUBLISH on any node reaches every node's subscribers over the cluster bus. Sharded pub/sub
// (Redis 7 SSUBSCRIBE) would spare the bus; a node's wake channel gets few messages (one per publish per
// node), so the simpler, Redis 6 compatible choice is taken.

import { Cluster, type ClusterOptions } from 'ioredis';
import { ClusterSubscriber } from './cluster-subscriber.js';
import { keySlot } from './keyslot.js';
import { execSettled, type Settled, unwrap } from './pipeline.js';
import type { LuaScript, PortEvent, RedisCommand, RedisPort, RedisReply } from './port.js';

export interface ClusterNodeAddress {
  host: string;
  port: number;
}

export interface ClusterPortOptions {
  /** Some (or all) of the cluster's nodes; the rest is discovered (CLUSTER SLOTS). */
  nodes: readonly ClusterNodeAddress[];
  /** Reconnect attempts a queued command waits for before it fails (default 2). */
  maxRetriesPerRequest?: number;
  /** Longest wait between two reconnect attempts, ms (default 2000). */
  maxReconnectDelay?: number;
  /** Ms to establish a connection before it counts as failed (default 5000). */
  connectTimeout?: number;
}

/** Commands whose first argument is not a key (they may run on any node). */
const KEYLESS: ReadonlySet<string> = new Set(['PUBLISH']);
/** The group of commands without keys. */
const ANY_NODE = -1;

/** The one slot every key of `command` is in (ANY_NODE when it has none); throws when they span slots. */
export function commandSlot(command: RedisCommand): number {
  if (Array.isArray(command)) {
    const [name, key] = command as readonly [string, ...(string | number)[]];
    if (KEYLESS.has(name.toUpperCase()) || key === undefined) return ANY_NODE;
    return keySlot(String(key));
  }
  const { script, keys } = command as { script: { name: string }; keys: readonly string[] };
  let slot = ANY_NODE;
  for (const key of keys) {
    const s = keySlot(key);
    if (slot === ANY_NODE) slot = s;
    else if (s !== slot) {
      throw new Error(`pushwire redis: script ${script.name} has keys in slots ${slot} and ${s} (CROSSSLOT)`);
    }
  }
  return slot;
}

export class ClusterPort implements RedisPort {
  readonly cluster = true;
  readonly #cluster: Cluster;
  readonly #subscriber: ClusterSubscriber;
  readonly #listeners = new Map<string, (message: string) => void>();
  /** `<node> <sha>` of the scripts each master is known to hold. */
  readonly #loaded = new Set<string>();
  #onEvent: (event: PortEvent) => void = () => undefined;

  constructor(options: ClusterPortOptions) {
    if (options.nodes.length === 0) throw new RangeError('pushwire redis: cluster needs at least one node');
    const maxDelay = options.maxReconnectDelay ?? 2000;
    const clusterOptions: ClusterOptions = {
      clusterRetryStrategy: (times) => Math.min(times * 100, maxDelay),
      redisOptions: {
        maxRetriesPerRequest: options.maxRetriesPerRequest ?? 2,
        connectTimeout: options.connectTimeout ?? 5000,
      },
    };
    this.#cluster = new Cluster(
      options.nodes.map((n) => ({ host: n.host, port: n.port })),
      clusterOptions,
    );
    // An 'error' listener is mandatory (ioredis would print it otherwise); the engine reports it.
    this.#cluster.on('error', (error: Error) => this.#onEvent({ type: 'error', error }));
    this.#cluster.on('node error', (error: Error) => this.#onEvent({ type: 'error', error }));
    this.#cluster.on('reconnecting', (delay: number) => this.#onEvent({ type: 'reconnecting', delay }));
    this.#cluster.on('ready', () => this.#onEvent({ type: 'ready' }));
    const configured = options.nodes.map((n) => ({ host: n.host, port: n.port }));
    this.#subscriber = new ClusterSubscriber(
      () => {
        const masters = this.#cluster.nodes('master').map((r) => ({
          host: r.options.host ?? '127.0.0.1',
          port: r.options.port ?? 6379,
        }));
        return masters.length > 0 ? masters : configured;
      },
      options.connectTimeout ?? 5000,
      (channel, message) => this.#listeners.get(channel)?.(message),
      (error) => this.#onEvent({ type: 'error', error }),
    );
  }

  onEvent(listener: (event: PortEvent) => void): void {
    this.#onEvent = listener;
  }

  async batch(commands: readonly RedisCommand[]): Promise<RedisReply[]> {
    const groups = new Map<number, number[]>();
    commands.forEach((command, i) => {
      const slot = commandSlot(command);
      let list = groups.get(slot);
      if (list === undefined) groups.set(slot, (list = []));
      list.push(i);
    });
    const replies: Settled[] = new Array(commands.length);
    await Promise.all(
      [...groups].map(async ([slot, indexes]) => {
        const group = indexes.map((i) => commands[i] as RedisCommand);
        // The node serving the slot now (ioredis' map; a MOVED reply updates it).
        const node = slot === ANY_NODE ? undefined : this.#cluster.slots[slot]?.[0];
        const shaOf = (c: RedisCommand) =>
          Array.isArray(c) ? undefined : (c as { script: LuaScript }).script.sha;
        const unknown = (c: RedisCommand) => {
          const sha = shaOf(c);
          return sha !== undefined && (node === undefined || !this.#loaded.has(`${node} ${sha}`));
        };
        const got = await execSettled(
          () => this.#cluster.pipeline(),
          group,
          (j) => unknown(group[j] as RedisCommand),
        );
        if (node !== undefined) {
          group.forEach((c, j) => {
            const sha = shaOf(c);
            if (sha === undefined) return;
            const [err] = got[j] as Settled;
            if (err === null) this.#loaded.add(`${node} ${sha}`);
          });
        }
        indexes.forEach((i, j) => {
          replies[i] = got[j] as Settled;
        });
      }),
    );
    return unwrap(replies);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    this.#listeners.set(channel, listener);
    await this.#subscriber.subscribe(channel);
  }

  async close(): Promise<void> {
    await this.#subscriber.close();
    try {
      await this.#cluster.quit();
    } catch {
      // quit() fails when the connections are already down: drop them instead (nothing left to flush).
      this.#cluster.disconnect();
    }
  }
}
