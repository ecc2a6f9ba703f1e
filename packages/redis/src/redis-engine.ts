// The Redis engine: sessions, subscriptions and queues in Redis, so any node answers any request of any
// client (no sticky sessions). Per client: a HASH (the node that last heard from it), a SET of patterns and
// a LIST queue, all under the hash tag `{clientId}` (keys.ts); multi-step changes are Lua scripts on that
// one slot (scripts.ts). Publishing, queueing and wakes are in queues.ts (each recipient's node is woken
// over ITS pub/sub channel only, never every node as faye-redis does); client state fields and browser
// holds in client-state.ts; the expiry sweep in sweeper.ts; history in channel-features.ts; presence in
// presence.ts.

import type { Message } from '@pushwire/bayeux';
import {
  type CreateClientOptions,
  type DeliverySink,
  type DestroyReason,
  type DropInfo,
  type EncodedMessage,
  type Engine,
  EngineError,
  type HistoryLimits,
  type HistoryPosition,
  type HistoryQuery,
  type HistoryRead,
  type HistorySubscribeResult,
  type PositionTemplate,
  type PresenceChange,
  type PresenceSnapshot,
  type QueueTake,
  type SubscribeResult,
} from '@pushwire/server';
import { ChannelFeatures } from './channel-features.js';
import { ClientStateStore } from './client-state.js';
import { destroyChannel, errorChannel } from './diagnostics.js';
import { newId } from './ids.js';
import { Keys } from './keys.js';
import { openPort } from './open-port.js';
import { type RedisEngineOptions, type ResolvedRedisOptions, resolveRedisOptions } from './options.js';
import type { RedisCommand, RedisPort, RedisReply } from './port.js';
import { Presence } from './presence.js';
import { Queues } from './queues.js';
import { CREATE, DESTROY, PING, SUBSCRIBE } from './scripts.js';
import { storage, watchConnection } from './storage.js';
import { Sweeper } from './sweeper.js';
import { decodeNodeMessage, nodeMessage } from './wire.js';

export class RedisEngine implements Engine {
  readonly options: Readonly<ResolvedRedisOptions>;
  /** Engine contract: the ms without a connect after which a client expires. */
  get maxInterval(): number {
    return this.options.maxInterval;
  }
  /** This process's id in the cluster: its wake channel and liveness key are named after it. */
  readonly nodeId: string;
  readonly keys: Keys;
  readonly #port: RedisPort;
  readonly #ownsPort: boolean;
  readonly #onError: ((error: Error) => void) | undefined;
  readonly #sweeper: Sweeper;
  readonly #channels: ChannelFeatures;
  readonly #presence: Presence;
  readonly #queues: Queues;
  readonly #state: ClientStateStore;
  #sink: DeliverySink | undefined;
  #closed = false;

  /** Use createRedisEngine(): it also waits until the wake channel is subscribed. */
  constructor(opts: RedisEngineOptions = {}) {
    this.options = resolveRedisOptions(opts);
    this.keys = new Keys(this.options.prefix);
    this.nodeId = newId();
    this.#onError = opts.onError;
    this.#ownsPort = opts.redis === undefined;
    this.#port = opts.redis ?? openPort(opts);
    watchConnection(this.#port);
    this.#queues = new Queues({
      keys: this.keys,
      options: this.options,
      nodeId: this.nodeId,
      cluster: this.#port.cluster === true,
      run: (op, commands) => this.run(op, commands),
      sink: () => this.#sink,
      destroy: (clientId, reason) => this.destroyClient(clientId, reason),
      newId,
      history: () => this.#channels.cluster,
    });
    this.#state = new ClientStateStore({ keys: this.keys, run: (op, commands) => this.run(op, commands) });
    this.#channels = new ChannelFeatures({
      keys: this.keys,
      options: this.options,
      run: (op, commands) => this.run(op, commands),
      afterEnqueue: (ids, replies, patterns) => this.#queues.afterEnqueue(ids, replies, patterns),
      newId,
      cluster: this.#port.cluster === true,
    });
    this.#presence = new Presence({
      keys: this.keys,
      options: this.options,
      run: (op, commands) => this.run(op, commands),
      sink: () => this.#sink,
      cluster: this.#port.cluster === true,
    });
    this.#sweeper = new Sweeper(this, {
      run: (op, commands) => this.run(op, commands),
      sink: () => this.#sink,
      report: (err) => this.report(err),
      expired: (ids) => this.#expired(ids),
      presenceArgs: (clientId) => this.#presence.destroyArgs(clientId),
      leaveCommands: (clientId, channels) => this.#presence.removeCommands(clientId, channels),
      reportLeaves: (clientId, channels, replies) =>
        this.#presence.reportLeaves(clientId, channels, replies, 'expired'),
      ping: (ids) => this.#pingMany(ids),
    });
  }

  /** Subscribes to this node's wake channel, marks the node alive and starts the sweeper. */
  async start(): Promise<void> {
    await storage('start', async () => {
      await this.#port.subscribe(this.keys.wakeChannel(this.nodeId), (text) => this.#onNodeMessage(text));
    });
    await this.run('start', [['ZADD', this.keys.nodes, Date.now(), this.nodeId]]);
    this.#sweeper.start();
  }

  setSink(sink: DeliverySink): void {
    this.#sink = sink;
  }

  async createClient(options: CreateClientOptions = {}): Promise<string> {
    await this.#enter();
    for (;;) {
      const id = newId();
      const now = Date.now();
      const [created] = await this.run('createClient', [
        {
          script: CREATE,
          keys: [this.keys.client(id)],
          args: [this.nodeId, this.options.keyTtl, now, options.info ?? 'null'],
        },
        ['ZADD', this.keys.seen, 'NX', now, id],
      ]);
      // Bayeux §2.4: ids MUST be unique; 160 random bits will not collide, the check costs nothing.
      if (created === 1) return id;
    }
  }

  async clientExists(clientId: string): Promise<boolean> {
    await this.#enter();
    const [n] = await this.run('clientExists', [['EXISTS', this.keys.client(clientId)]]);
    return n === 1;
  }

  async destroyClient(clientId: string, reason: DestroyReason): Promise<void> {
    await this.#enter();
    const [destroyed] = await this.run('destroyClient', [
      { script: DESTROY, keys: this.keys.ofClient(clientId), args: this.#presence.destroyArgs(clientId) },
    ]);
    const [existed, node = '', dropped = 0, bytes = 0, , present = [], removals = [], ...patterns] =
      destroyed as [number, string, number, number, string, string[], RedisReply[], ...string[]];
    const lost: DropInfo = { dropped, bytes };
    // The script decides who destroys: of racing destroys (this, a sweep, a slow publish, on any node)
    // only the one that found the client tells a sink; the others only clean up.
    // On a Cluster its presence sets are other slots: left in the next batch, after the step that
    // deleted it (one Redis server: left in that step, `removals`).
    const leaves = removals.length > 0 ? [] : this.#presence.removeCommands(clientId, present);
    const commands: RedisCommand[] = [...leaves, ['ZREM', this.keys.seen, clientId]];
    for (const p of patterns) commands.push(['SREM', this.keys.index(p), clientId]);
    if (existed === 1) {
      if (destroyChannel.hasSubscribers) destroyChannel.publish({ clientId, reason, ...lost });
      if (node === '' || node === this.nodeId) this.#sink?.destroyed(clientId, reason, lost);
      else {
        const message = nodeMessage({ kind: 'destroyed', reason, lost, ids: [clientId] });
        commands.push(['PUBLISH', this.keys.wakeChannel(node), message]);
      }
    }
    const replies = await this.run('destroyClient', commands);
    // After `destroyed`, on this node, once per leave (Engine contract).
    const won = removals.length > 0 ? removals : replies.slice(0, leaves.length);
    this.#presence.reportLeaves(clientId, present, won, reason);
  }

  /** Tells this node's sink that the sweeper destroyed clients (held here, or by a node that is gone). */
  #expired(expired: ReadonlyArray<readonly [string, DropInfo]>): void {
    for (const [clientId, lost] of expired) {
      if (destroyChannel.hasSubscribers) destroyChannel.publish({ clientId, reason: 'expired', ...lost });
      this.#sink?.destroyed(clientId, 'expired', lost);
    }
  }

  async ping(clientId: string): Promise<void> {
    await this.#enter();
    await this.#pingMany([clientId]);
  }

  /** Records activity now and that THIS node holds the clients (their wakes come here from now on). */
  async #pingMany(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const k = this.keys;
    const now = Date.now();
    const commands: RedisCommand[] = [];
    for (const id of ids) {
      commands.push({
        script: PING,
        keys: k.ofClient(id),
        args: [this.nodeId, this.options.keyTtl, now],
      });
      // XX: a ping never resurrects a destroyed client's liveness entry.
      commands.push(['ZADD', k.seen, 'XX', now, id]);
    }
    await this.run('ping', commands);
  }

  async subscribe(clientId: string, pattern: string): Promise<SubscribeResult> {
    await this.#enter();
    const k = this.keys;
    const [r] = await this.run('subscribe', [
      {
        script: SUBSCRIBE,
        keys: [k.client(clientId), k.subs(clientId)],
        args: [pattern, this.options.maxSubscriptions, this.options.keyTtl],
      },
    ]);
    if (r === -1) return { ok: false, reason: 'unknown-client' };
    if (r === -2) return { ok: false, reason: 'too-many-subscriptions' };
    // The index is another slot: added after the client's own set. A destroy racing in between leaves a
    // stale index member, which the next publish finds unknown and removes.
    if (r === 2) await this.run('subscribe', [['SADD', k.index(pattern), clientId]]);
    return { ok: true };
  }

  async unsubscribe(clientId: string, pattern: string): Promise<boolean> {
    await this.#enter();
    // The index member exists exactly when the subscription does: removing both needs no script.
    const [removed] = await this.run('unsubscribe', [
      ['SREM', this.keys.subs(clientId), pattern],
      ['SREM', this.keys.index(pattern), clientId],
      ['HDEL', this.keys.client(clientId), this.keys.mark(pattern)], // Cluster history's mark, if any
    ]);
    return removed === 1;
  }

  async subscriptions(clientId: string): Promise<string[]> {
    await this.#enter();
    const [members] = await this.run('subscriptions', [['SMEMBERS', this.keys.subs(clientId)]]);
    return members as string[];
  }

  async publish(message: Message, encoded: EncodedMessage): Promise<number> {
    await this.#enter();
    return this.#queues.publish(message, encoded);
  }

  async deliver(clientId: string, encoded: EncodedMessage[]): Promise<void> {
    await this.#enter();
    return this.#queues.deliver(clientId, encoded);
  }

  async requeue(clientId: string, encoded: EncodedMessage[]): Promise<void> {
    await this.#enter();
    return this.#queues.requeue(clientId, encoded);
  }

  async publishHistory(
    message: Message,
    template: PositionTemplate,
    limits: HistoryLimits,
  ): Promise<{ count: number; position: HistoryPosition }> {
    await this.#enter();
    return this.#channels.publishHistory(message, template, limits);
  }

  async subscribeHistory(
    clientId: string,
    channel: string,
    query: HistoryQuery | undefined,
    limits: HistoryLimits,
  ): Promise<HistorySubscribeResult> {
    await this.#enter();
    return this.#channels.subscribeHistory(clientId, channel, query, limits);
  }

  async readHistory(channel: string, query: HistoryQuery, limits: HistoryLimits): Promise<HistoryRead> {
    await this.#enter();
    return this.#channels.readHistory(channel, query, limits);
  }

  async presenceJoin(channel: string, clientId: string): Promise<PresenceChange> {
    await this.#enter();
    return this.#presence.join(channel, clientId);
  }

  async presenceLeave(channel: string, clientId: string): Promise<PresenceChange> {
    await this.#enter();
    return this.#presence.leave(channel, clientId);
  }

  async presence(channel: string, maxMembers: number): Promise<PresenceSnapshot> {
    await this.#enter();
    return this.#presence.snapshot(channel, maxMembers);
  }

  async takeQueue(clientId: string, maxBytes?: number, journal?: string): Promise<EncodedMessage[]> {
    await this.#enter();
    return this.#queues.takeQueue(clientId, maxBytes, journal);
  }

  async takeQueueWithMore(clientId: string, maxBytes?: number, journal?: string): Promise<QueueTake> {
    await this.#enter();
    return this.#queues.takeQueueWithMore(clientId, maxBytes, journal);
  }

  async takeQueuesWithMore(clientIds: readonly string[], maxBytes?: number): Promise<QueueTake[]> {
    await this.#enter();
    return this.#queues.takeQueuesWithMore(clientIds, maxBytes);
  }

  async readJournal(clientId: string, journal: string): Promise<EncodedMessage[]> {
    await this.#enter();
    return this.#queues.readJournal(clientId, journal);
  }

  async getClientState(clientId: string, key: string): Promise<string | undefined> {
    await this.#enter();
    return this.#state.getClientState(clientId, key);
  }

  async setClientState(clientId: string, key: string, value: string | undefined): Promise<void> {
    await this.#enter();
    return this.#state.setClientState(clientId, key, value);
  }

  async takeClientState(clientId: string, key: string): Promise<string | undefined> {
    await this.#enter();
    return this.#state.takeClientState(clientId, key);
  }

  async setBrowserHold(browserId: string, clientId: string, untilMs: number | undefined): Promise<void> {
    await this.#enter();
    return this.#state.setBrowserHold(browserId, clientId, untilMs);
  }

  async browserHolds(browserId: string, exceptClientId: string): Promise<number> {
    await this.#enter();
    return this.#state.browserHolds(browserId, exceptClientId);
  }

  async clientCount(): Promise<number> {
    await this.#enter();
    const [n] = await this.run('clientCount', [['ZCARD', this.keys.seen]]);
    return n as number;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sweeper.stop();
    try {
      // A node that leaves says so: the sweepers expire its idle clients at once, not after nodeTtl.
      await this.run('close', [['ZREM', this.keys.nodes, this.nodeId]]);
    } catch (err) {
      this.report(err);
    } finally {
      if (this.#ownsPort) await this.#port.close();
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs commands in one round trip; a failure becomes EngineError ENGINE_STORAGE (and a diagnostic). */
  run(operation: string, commands: readonly RedisCommand[]): Promise<RedisReply[]> {
    return storage(operation, () => this.#port.batch(commands));
  }

  /** Background failures (sweeps, wake messages): reported, never swallowed, never thrown into a timer. */
  report(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    if (!(err instanceof EngineError) && errorChannel.hasSubscribers) {
      errorChannel.publish({ operation: 'background', error: err });
    }
    this.#onError?.(err);
  }

  /** A message on this node's channel: wakes and destroys of clients held here, expiry checks. */
  #onNodeMessage(text: string): void {
    if (this.#closed) return;
    const message = decodeNodeMessage(text);
    if (message === undefined) {
      this.report(new Error(`pushwire redis: unreadable node message ${JSON.stringify(text.slice(0, 80))}`));
      return;
    }
    if (message.kind === 'wake') for (const id of message.ids) this.#sink?.wake(id);
    else if (message.kind === 'destroyed')
      for (const id of message.ids) this.#sink?.destroyed(id, message.reason, message.lost);
    else this.#sweeper.checkHere(message.ids, message.deadline).catch((err: unknown) => this.report(err));
  }

  /**
   * Every call starts here: rejects once closed, and waits for a sweep this node is running, so a call made
   * after the sweep timer fired sees what the sweep did (as with the memory engine's synchronous sweep).
   */
  async #enter(): Promise<void> {
    if (this.#closed) throw new EngineError('ENGINE_CLOSED', 'pushwire engine: the engine is closed');
    const sweep = this.#sweeper.inFlight;
    if (sweep !== undefined) await sweep;
    if (this.#closed) throw new EngineError('ENGINE_CLOSED', 'pushwire engine: the engine is closed');
  }
}

/** Creates a Redis engine and resolves once it listens for wakes (then pass it as the server's `engine`). */
export async function createRedisEngine(opts: RedisEngineOptions = {}): Promise<RedisEngine> {
  const engine = new RedisEngine(opts);
  try {
    await engine.start();
  } catch (err) {
    await engine.close();
    throw err;
  }
  return engine;
}
