// The in-memory engine: one process, no I/O. Subscriptions are indexed by pattern (pattern-index.ts), so a
// publish does O(depth) lookups, never a scan of all clients; clients and their state are memory-client.ts.
// Liveness is the clients Map itself, kept in order of last activity (a ping moves the client to the end),
// so the single sweeper timer stops at the first client that is still fresh: O(expired) per sweep, not
// O(clients), and an idle client costs one Map entry, not two (issue 13: heap per idle client).

import type { Message } from '@pushwire/bayeux';
import { BrowserHolds } from './browser-holds.js';
import {
  type CreateClientOptions,
  type DeliverySink,
  type DestroyReason,
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
} from './engine.js';
import { HistoryStore } from './history-store.js';
import { appendJournal, type ClientRecord, readJournal, setState, takeState } from './memory-client.js';
import { engineDestroyChannel, engineDropChannel, engineHistoryEvictChannel } from './memory-diagnostics.js';
import { checkOptions, type MemoryEngineOptions, newClientId } from './memory-options.js';
import { MessageQueue } from './message-queue.js';
import { PatternIndex } from './pattern-index.js';
import { PresenceStore } from './presence-store.js';
import { pushUnderPolicy, type QueueDrop, trimUnderPolicy } from './queue-policy.js';
import {
  hasSubscription,
  subscriptionCount,
  subscriptionPatterns,
  withoutSubscription,
  withSubscription,
} from './subscription-list.js';

export {
  engineDestroyChannel,
  engineDropChannel,
  engineHistoryEvictChannel,
} from './memory-diagnostics.js';
export {
  DEFAULT_MAX_HISTORY_BYTES,
  type MemoryEngineOptions,
  resolveEngineOptions,
} from './memory-options.js';

export class MemoryEngine implements Engine {
  readonly options: Readonly<MemoryEngineOptions>;
  /** Engine contract: the ms without a connect after which a client expires. */
  get maxInterval(): number {
    return this.options.maxInterval;
  }
  private sink: DeliverySink | undefined;
  /** In ascending order of `seen`, each client's last activity: a ping re-inserts it at the end. */
  private readonly clients = new Map<string, ClientRecord>();
  /** Per browser, the clients holding a connect and until when (maxSessionsPerBrowser). */
  private readonly browsers = new BrowserHolds();
  private readonly index = new PatternIndex();
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  private readonly history: HistoryStore;
  private readonly presenceSets = new PresenceStore();

  constructor(opts: Partial<MemoryEngineOptions> = {}) {
    this.options = checkOptions(opts);
    this.history = new HistoryStore(this.options.maxHistoryBytes, (channel, epoch) => {
      if (engineHistoryEvictChannel.hasSubscribers) engineHistoryEvictChannel.publish({ channel, epoch });
    });
    // One timer for every client (CometD's sweeper), unref'd so an idle engine never keeps Node alive.
    this.sweeper = setInterval(() => this.sweep(), this.options.sweepInterval);
    this.sweeper.unref?.();
  }

  setSink(sink: DeliverySink): void {
    this.sink = sink;
  }

  async createClient(options: CreateClientOptions = {}): Promise<string> {
    this.assertOpen();
    let id = newClientId();
    // Bayeux §2.4: ids MUST be unique. A collision of 160 random bits will not happen, but it costs nothing.
    while (this.clients.has(id)) id = newClientId();
    // Every field in the literal, `state` included: a field added later (the handshake's first-connect
    // state) moves the record's fields to a PropertyArray of their own, kept per client after it is unset.
    this.clients.set(id, {
      subscriptions: undefined,
      queue: undefined,
      state: undefined,
      info: options.info ?? 'null',
      seen: Date.now(),
    });
    return id;
  }

  async clientExists(clientId: string): Promise<boolean> {
    this.assertOpen();
    return this.clients.has(clientId);
  }

  async destroyClient(clientId: string, reason: DestroyReason): Promise<void> {
    this.assertOpen();
    this.remove(clientId, reason);
  }

  async ping(clientId: string): Promise<void> {
    this.assertOpen();
    this.seenNow(clientId, Date.now());
  }

  async touchClient(clientId: string): Promise<boolean> {
    this.assertOpen();
    return this.seenNow(clientId, Date.now());
  }

  /** Activity at `now`: the client moves to the end of the liveness order. False when unknown. */
  private seenNow(clientId: string, now: number): boolean {
    const client = this.clients.get(clientId);
    if (client === undefined) return false;
    // A long-polling client is seen twice per round trip (its reply's ping, then its next connect, often in
    // the same ms): already stamped now, it is left in place, where the order holds (whatever follows it was
    // stamped later, so now too).
    if (client.seen === now) return true;
    client.seen = now;
    this.clients.delete(clientId);
    this.clients.set(clientId, client);
    return true;
  }

  async subscribe(clientId: string, pattern: string): Promise<SubscribeResult> {
    this.assertOpen();
    return this.subscribeNow(clientId, pattern);
  }

  private subscribeNow(clientId: string, pattern: string): SubscribeResult {
    const client = this.clients.get(clientId);
    if (client === undefined) return { ok: false, reason: 'unknown-client' };
    if (hasSubscription(client.subscriptions, pattern)) return { ok: true };
    if (subscriptionCount(client.subscriptions) >= this.options.maxSubscriptions) {
      return { ok: false, reason: 'too-many-subscriptions' };
    }
    // The index's own copy of the pattern: every subscriber of a room keeps that one string, not the one
    // its subscribe message brought.
    client.subscriptions = withSubscription(client.subscriptions, this.index.add(pattern, clientId));
    return { ok: true };
  }

  async unsubscribe(clientId: string, pattern: string): Promise<boolean> {
    this.assertOpen();
    const client = this.clients.get(clientId);
    if (client === undefined || !hasSubscription(client.subscriptions, pattern)) return false;
    client.subscriptions = withoutSubscription(client.subscriptions, pattern);
    this.index.remove(pattern, clientId);
    return true;
  }

  async subscriptions(clientId: string): Promise<string[]> {
    this.assertOpen();
    const client = this.clients.get(clientId);
    return client === undefined ? [] : subscriptionPatterns(client.subscriptions);
  }

  async publish(message: Message, encoded: EncodedMessage): Promise<number> {
    this.assertOpen();
    return this.fanOut(message, encoded);
  }

  async publishHistory(
    message: Message,
    template: PositionTemplate,
    limits: HistoryLimits,
  ): Promise<{ count: number; position: HistoryPosition }> {
    this.assertOpen();
    // One synchronous step: position, history and queues cannot interleave with another call.
    const { position, text } = this.history.append(message.channel, template, limits, Date.now());
    return { count: this.fanOut(message, text), position };
  }

  async subscribeHistory(
    clientId: string,
    channel: string,
    query: HistoryQuery | undefined,
    limits: HistoryLimits,
  ): Promise<HistorySubscribeResult> {
    this.assertOpen();
    // Synchronous from here: no publish can run between the subscription, the read and the queueing.
    const result = this.subscribeNow(clientId, channel);
    if (!result.ok) return result;
    const read = this.history.read(channel, query, limits, Date.now());
    if (read.messages.length === 0) return { ok: true, read };
    const client = this.clients.get(clientId) as ClientRecord;
    const sizes = read.messages.map((text) => Buffer.byteLength(text));
    let bytes = 0;
    for (const size of sizes) bytes += size;
    // A replay the queue cannot hold whole would be cut by the queue policy (drop-oldest loses its start
    // silently): it is refused instead, and the client told it must reload (complete false).
    const queued = client.queue?.length ?? 0;
    const queuedBytes = client.queue?.bytes ?? 0;
    if (queued + sizes.length > this.options.maxQueue || queuedBytes + bytes > this.options.maxQueueBytes) {
      return { ok: true, read: { position: read.position, messages: [], complete: false } };
    }
    read.messages.forEach((text, i) => {
      this.enqueue(clientId, client, text, sizes[i] as number);
    });
    this.sink?.wake(clientId);
    return { ok: true, read };
  }

  async readHistory(channel: string, query: HistoryQuery, limits: HistoryLimits): Promise<HistoryRead> {
    this.assertOpen();
    return this.history.read(channel, query, limits, Date.now());
  }

  async presenceJoin(channel: string, clientId: string): Promise<PresenceChange> {
    this.assertOpen();
    const client = this.clients.get(clientId);
    if (client === undefined) return { changed: false, count: this.presenceSets.snapshot(channel, 0).count };
    return this.presenceSets.join(channel, clientId, client.info);
  }

  async presenceLeave(channel: string, clientId: string): Promise<PresenceChange> {
    this.assertOpen();
    return this.presenceSets.leave(channel, clientId);
  }

  async presence(channel: string, maxMembers: number): Promise<PresenceSnapshot> {
    this.assertOpen();
    return this.presenceSets.snapshot(channel, maxMembers);
  }

  /** Queues `encoded` for every matching client (see Engine.publish); returns how many. */
  private fanOut(message: Message, encoded: EncodedMessage): number {
    const targets = this.index.matching(message.channel);
    if (targets === undefined) return 0;
    // Wakes and destroys run after the loop: a sink reacting synchronously cannot change what we iterate.
    const woken: string[] = [];
    const slow: string[] = [];
    // Sized once for every subscriber (the queues count bytes).
    const size = Buffer.byteLength(encoded);
    for (const id of targets) {
      const client = this.clients.get(id);
      if (client === undefined) continue;
      if (this.enqueue(id, client, encoded, size)) woken.push(id);
      else slow.push(id);
    }
    for (const id of slow) this.remove(id, 'slow');
    for (const id of woken) this.sink?.wake(id);
    return woken.length;
  }

  async deliver(clientId: string, encoded: EncodedMessage[]): Promise<void> {
    this.assertOpen();
    const client = this.clients.get(clientId);
    if (client === undefined || encoded.length === 0) return;
    for (const item of encoded) {
      if (!this.enqueue(clientId, client, item, Buffer.byteLength(item))) {
        this.remove(clientId, 'slow');
        return;
      }
    }
    this.sink?.wake(clientId);
  }

  async requeue(clientId: string, encoded: EncodedMessage[]): Promise<void> {
    this.assertOpen();
    const client = this.clients.get(clientId);
    if (client === undefined || encoded.length === 0) return;
    const queue = (client.queue ??= new MessageQueue());
    queue.unshift(
      encoded,
      encoded.map((item) => Buffer.byteLength(item)),
    );
    const result = trimUnderPolicy(queue, this.options);
    if (queue.length === 0) client.queue = undefined;
    if (!result.ok) {
      this.remove(clientId, 'slow');
      return;
    }
    if (result.drop !== undefined) this.reportDrop(clientId, result.drop);
    this.sink?.wake(clientId);
  }

  async takeQueue(clientId: string, maxBytes?: number, journal?: string): Promise<EncodedMessage[]> {
    return this.takeQueueSync(clientId, maxBytes, journal);
  }

  async takeQueueWithMore(clientId: string, maxBytes?: number, journal?: string): Promise<QueueTake> {
    const messages = this.takeQueueSync(clientId, maxBytes, journal);
    return { messages, more: this.queuedSync(clientId) > 0 };
  }

  async takeQueuesWithMore(clientIds: readonly string[], maxBytes?: number): Promise<QueueTake[]> {
    this.assertOpen();
    return clientIds.map((id) => ({
      messages: this.takeQueueSync(id, maxBytes),
      more: this.queuedSync(id) > 0,
    }));
  }

  takeQueueSync(clientId: string, maxBytes?: number, journal?: string): EncodedMessage[] {
    this.assertOpen();
    const client = this.clients.get(clientId);
    if (client === undefined) return [];
    const { queue } = client;
    if (queue === undefined) return [];
    const taken = maxBytes === undefined ? queue.drain() : queue.take(maxBytes);
    // Emptied: an idle client keeps no queue (the next message makes a new one).
    if (queue.length === 0) client.queue = undefined;
    if (journal !== undefined && taken.length > 0) appendJournal(client, journal, taken);
    return taken;
  }

  async readJournal(clientId: string, journal: string): Promise<EncodedMessage[]> {
    this.assertOpen();
    return readJournal(this.clients.get(clientId), journal);
  }

  queuedSync(clientId: string): number {
    this.assertOpen();
    return this.clients.get(clientId)?.queue?.length ?? 0;
  }

  async getClientState(clientId: string, key: string): Promise<string | undefined> {
    this.assertOpen();
    return this.clients.get(clientId)?.state?.get(key);
  }

  async setClientState(clientId: string, key: string, value: string | undefined): Promise<void> {
    this.assertOpen();
    const client = this.clients.get(clientId);
    if (client !== undefined) setState(client, key, value);
  }

  async takeClientState(clientId: string, key: string): Promise<string | undefined> {
    this.assertOpen();
    const client = this.clients.get(clientId);
    return client === undefined ? undefined : takeState(client, key);
  }

  async setBrowserHold(browserId: string, clientId: string, untilMs: number | undefined): Promise<void> {
    this.assertOpen();
    this.browsers.set(browserId, clientId, untilMs);
  }

  async browserHolds(browserId: string, exceptClientId: string): Promise<number> {
    this.assertOpen();
    return this.browsers.count(browserId, exceptClientId, Date.now());
  }

  async claimBrowserHold(browserId: string, clientId: string, untilMs: number, max: number): Promise<number> {
    this.assertOpen();
    const n = this.browsers.count(browserId, clientId, Date.now());
    if (n < max) this.browsers.set(browserId, clientId, untilMs);
    return n;
  }

  async clientCount(): Promise<number> {
    this.assertOpen();
    return this.clients.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.clients.clear();
    this.index.clear();
    this.browsers.clear();
    this.history.clear();
    this.presenceSets.clear();
  }

  /** Bytes of history held over all channels (tests, metrics). */
  get historyBytes(): number {
    return this.history.bytes;
  }

  /** One sweep: expire every client idle for more than maxInterval, except those the sink holds. */
  private sweep(): void {
    if (this.closed) return;
    const now = Date.now();
    this.history.sweep(now);
    const deadline = now - this.options.maxInterval;
    const stillHeld: string[] = [];
    for (const [id, client] of this.clients) {
      // Ordered by activity: the first fresh client means all later ones are fresh too.
      if (client.seen >= deadline) break;
      if (this.sink?.isHeld?.(id) === true) stillHeld.push(id);
      else this.remove(id, 'expired');
    }
    // A held connect is activity (Bayeux §4.2.2: expiry counts from the connect reply).
    for (const id of stillHeld) this.seenNow(id, now);
  }

  /** Queues one message under the queue policy (queue-policy.ts); false when the client must go as slow. */
  private enqueue(clientId: string, client: ClientRecord, item: EncodedMessage, size: number): boolean {
    const queue = (client.queue ??= new MessageQueue());
    const result = pushUnderPolicy(queue, item, size, this.options);
    if (queue.length === 0) client.queue = undefined; // drop-oldest dropped the message itself
    if (result.drop !== undefined) this.reportDrop(clientId, result.drop);
    return result.ok;
  }

  private reportDrop(clientId: string, drop: QueueDrop): void {
    if (drop.dropped === 0) return;
    if (engineDropChannel.hasSubscribers) engineDropChannel.publish({ clientId, ...drop });
    this.sink?.dropped?.(clientId, drop);
  }

  private remove(clientId: string, reason: DestroyReason): void {
    const client = this.clients.get(clientId);
    if (client === undefined) return;
    this.clients.delete(clientId);
    for (const pattern of subscriptionPatterns(client.subscriptions)) this.index.remove(pattern, clientId);
    const left = this.presenceSets.leaveAll(clientId);
    const lost = { dropped: client.queue?.length ?? 0, bytes: client.queue?.bytes ?? 0 };
    if (engineDestroyChannel.hasSubscribers) engineDestroyChannel.publish({ clientId, reason, ...lost });
    this.sink?.destroyed(clientId, reason, lost);
    for (const { channel, change } of left) {
      if (change.member !== undefined) this.sink?.left?.(channel, change.member, change.count, reason);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new EngineError('ENGINE_CLOSED', 'pushwire engine: the engine is closed');
  }
}

/** Creates an in-memory engine; options not given take DEFAULT_ENGINE_OPTIONS. */
export function createMemoryEngine(opts: Partial<MemoryEngineOptions> = {}): MemoryEngine {
  return new MemoryEngine(opts);
}
