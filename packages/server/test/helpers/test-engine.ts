// A minimal in-test Engine for server tests that must not depend on the memory engine's internals:
// exact/`*`/`**` matching via @pushwire/bayeux, per-client FIFO queues, no sweeper (tests call expire()).

import { randomBytes } from 'node:crypto';
import type { Message } from '@pushwire/bayeux';
import { matches } from '@pushwire/bayeux';
import type {
  DeliverySink,
  DestroyReason,
  EncodedMessage,
  Engine,
  QueueTake,
  SubscribeResult,
} from '../../src/engine/engine.js';
import { EngineError } from '../../src/engine/engine.js';

interface Client {
  subs: Set<string>;
  queue: string[];
  state: Map<string, string>;
}

export class TestEngine implements Engine {
  readonly clients = new Map<string, Client>();
  readonly pings: string[] = [];
  sink: DeliverySink | undefined;
  closed = false;
  maxSubscriptions: number;
  maxQueue: number;

  constructor(opts: { maxSubscriptions?: number; maxQueue?: number } = {}) {
    this.maxSubscriptions = opts.maxSubscriptions ?? 100;
    this.maxQueue = opts.maxQueue ?? 1000;
  }

  setSink(sink: DeliverySink): void {
    this.sink = sink;
  }
  async createClient(): Promise<string> {
    const id = randomBytes(16).toString('hex');
    this.clients.set(id, { subs: new Set(), queue: [], state: new Map() });
    return id;
  }
  async clientExists(clientId: string): Promise<boolean> {
    return this.clients.has(clientId);
  }
  async destroyClient(clientId: string, reason: DestroyReason): Promise<void> {
    if (!this.clients.delete(clientId)) return;
    this.sink?.destroyed(clientId, reason);
  }
  async ping(clientId: string): Promise<void> {
    this.pings.push(clientId);
  }
  async subscribe(clientId: string, pattern: string): Promise<SubscribeResult> {
    const c = this.clients.get(clientId);
    if (!c) return { ok: false, reason: 'unknown-client' };
    if (!c.subs.has(pattern) && c.subs.size >= this.maxSubscriptions) {
      return { ok: false, reason: 'too-many-subscriptions' };
    }
    c.subs.add(pattern);
    return { ok: true };
  }
  async unsubscribe(clientId: string, pattern: string): Promise<boolean> {
    return this.clients.get(clientId)?.subs.delete(pattern) ?? false;
  }
  async subscriptions(clientId: string): Promise<string[]> {
    return [...(this.clients.get(clientId)?.subs ?? [])];
  }
  async publish(message: Message, encoded: EncodedMessage): Promise<number> {
    let n = 0;
    for (const [id, c] of this.clients) {
      if ([...c.subs].some((p) => matches(p, message.channel))) {
        this.#enqueue(id, c, [encoded]);
        n++;
      }
    }
    return n;
  }
  async getClientState(clientId: string, key: string): Promise<string | undefined> {
    return this.clients.get(clientId)?.state.get(key);
  }
  async setClientState(clientId: string, key: string, value: string | undefined): Promise<void> {
    const state = this.clients.get(clientId)?.state;
    if (value === undefined) state?.delete(key);
    else state?.set(key, value);
  }
  async takeClientState(clientId: string, key: string): Promise<string | undefined> {
    const state = this.clients.get(clientId)?.state;
    const value = state?.get(key);
    state?.delete(key);
    return value;
  }
  readonly browsers = new Map<string, Map<string, number>>();
  async setBrowserHold(browserId: string, clientId: string, untilMs: number | undefined): Promise<void> {
    let holds = this.browsers.get(browserId);
    if (holds === undefined) this.browsers.set(browserId, (holds = new Map()));
    if (untilMs === undefined) holds.delete(clientId);
    else holds.set(clientId, untilMs);
  }
  async browserHolds(browserId: string, exceptClientId: string): Promise<number> {
    const now = Date.now();
    let n = 0;
    for (const [id, until] of this.browsers.get(browserId) ?? [])
      if (id !== exceptClientId && until > now) n++;
    return n;
  }
  async deliver(clientId: string, encoded: EncodedMessage[]): Promise<void> {
    const c = this.clients.get(clientId);
    if (c) this.#enqueue(clientId, c, encoded);
  }
  async requeue(clientId: string, encoded: EncodedMessage[]): Promise<void> {
    const c = this.clients.get(clientId);
    if (!c || encoded.length === 0) return;
    c.queue.unshift(...encoded);
    while (c.queue.length > this.maxQueue) c.queue.shift();
    this.sink?.wake(clientId);
  }
  #enqueue(id: string, c: Client, encoded: string[]): void {
    c.queue.push(...encoded);
    while (c.queue.length > this.maxQueue) c.queue.shift();
    this.sink?.wake(id);
  }
  async takeQueue(clientId: string, maxBytes?: number, journal?: string): Promise<EncodedMessage[]> {
    const taken = this.#take(clientId, maxBytes);
    const c = this.clients.get(clientId);
    if (journal !== undefined && c !== undefined && taken.length > 0) {
      c.state.set(journal, JSON.stringify([...(await this.readJournal(clientId, journal)), ...taken]));
    }
    return taken;
  }
  async takeQueueWithMore(clientId: string, maxBytes?: number, journal?: string): Promise<QueueTake> {
    const messages = await this.takeQueue(clientId, maxBytes, journal);
    return { messages, more: (this.clients.get(clientId)?.queue.length ?? 0) > 0 };
  }
  async readJournal(clientId: string, journal: string): Promise<EncodedMessage[]> {
    return JSON.parse(this.clients.get(clientId)?.state.get(journal) ?? '[]') as string[];
  }
  #take(clientId: string, maxBytes?: number): EncodedMessage[] {
    const c = this.clients.get(clientId);
    if (!c) return [];
    if (maxBytes === undefined) return c.queue.splice(0);
    let n = 0;
    let sum = 0;
    while (n < c.queue.length) {
      const size = Buffer.byteLength(c.queue[n]!);
      if (n > 0 && sum + size > maxBytes) break;
      sum += size;
      n++;
    }
    return c.queue.splice(0, n);
  }
  // This double serves tests of the protocol core without channel features: history and presence calls
  // reject like a failing store would (the server reports them as internal errors).
  async publishHistory(): Promise<never> {
    throw new EngineError('ENGINE_STORAGE', 'TestEngine keeps no history');
  }
  async subscribeHistory(): Promise<never> {
    throw new EngineError('ENGINE_STORAGE', 'TestEngine keeps no history');
  }
  async readHistory(): Promise<never> {
    throw new EngineError('ENGINE_STORAGE', 'TestEngine keeps no history');
  }
  async presenceJoin(): Promise<never> {
    throw new EngineError('ENGINE_STORAGE', 'TestEngine keeps no presence');
  }
  async presenceLeave(): Promise<never> {
    throw new EngineError('ENGINE_STORAGE', 'TestEngine keeps no presence');
  }
  async presence(): Promise<never> {
    throw new EngineError('ENGINE_STORAGE', 'TestEngine keeps no presence');
  }
  async clientCount(): Promise<number> {
    return this.clients.size;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  /** What a sweeper would do. */
  async expire(clientId: string): Promise<void> {
    await this.destroyClient(clientId, 'expired');
  }
}
