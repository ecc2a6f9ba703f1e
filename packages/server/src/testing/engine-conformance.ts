// The engine conformance suite: what every Engine (memory, Redis, ...) must do, written before any engine.
// Each engine's test file calls `engineConformance('memory', (opts) => ...)`; the Redis engine runs the same
// suite unchanged (STYLE.md, after Faye's shared engine specs).
//
// Timing tests use vitest fake timers for setInterval/setTimeout and Date only (setImmediate, nextTick and
// I/O stay real, so a networked engine still talks to its store): engines measure liveness with Date.now()
// and run their sweeper on a timer. Every engine created here is closed after its test.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeliverySink, DestroyReason, Engine, EngineOptions, PresenceMember } from '../engine/engine.js';
import { EngineError } from '../engine/engine.js';
import { queueTakeConformance } from './engine-conformance-queue-take.js';
import { historyConformance } from './history-conformance.js';
import { presenceConformance } from './presence-conformance.js';

const FAKE = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] } as const;

export type EngineFactory = (opts: Partial<EngineOptions>) => Promise<Engine>;

/** One `left` a sink was told: a member's leave of a presence set, with the set's count after it. */
export interface LeftEvent {
  channel: string;
  member: PresenceMember;
  count: number;
  reason: DestroyReason;
}

/** A sink that records what the engine told it and lets tests await a `destroyed` or a `left`. */
export class RecordingSink implements DeliverySink {
  readonly wakes: string[] = [];
  readonly destroyedLog: Array<{ clientId: string; reason: DestroyReason }> = [];
  /** Every `left` the engine reported (presence leaves of destroyed clients). */
  readonly leftLog: LeftEvent[] = [];
  /** Clients this "node" holds a connect for (DeliverySink.isHeld). */
  readonly held = new Set<string>();
  private readonly waiters: Array<{ clientId: string; resolve: (reason: DestroyReason) => void }> = [];
  private readonly leftWaiters: Array<{
    channel: string;
    clientId: string;
    resolve: (left: LeftEvent) => void;
  }> = [];

  wake(clientId: string): void {
    this.wakes.push(clientId);
  }

  destroyed(clientId: string, reason: DestroyReason): void {
    this.destroyedLog.push({ clientId, reason });
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w !== undefined && w.clientId === clientId) {
        this.waiters.splice(i, 1);
        w.resolve(reason);
      }
    }
  }

  left(channel: string, member: PresenceMember, count: number, reason: DestroyReason): void {
    const event = { channel, member, count, reason };
    this.leftLog.push(event);
    for (let i = this.leftWaiters.length - 1; i >= 0; i--) {
      const w = this.leftWaiters[i];
      if (w !== undefined && w.channel === channel && w.clientId === member.clientId) {
        this.leftWaiters.splice(i, 1);
        w.resolve(event);
      }
    }
  }

  isHeld(clientId: string): boolean {
    return this.held.has(clientId);
  }

  /** Resolves with the reason when `clientId` is destroyed (at once if it already was). */
  waitDestroyed(clientId: string): Promise<DestroyReason> {
    const done = this.destroyedLog.find((d) => d.clientId === clientId);
    if (done !== undefined) return Promise.resolve(done.reason);
    return new Promise((resolve) => this.waiters.push({ clientId, resolve }));
  }

  /**
   * Resolves with the `left` event when `clientId` leaves `channel` (at once if it already did). A networked
   * engine tells its sink after a round trip to its store, which real I/O finishes after the fake clock
   * stops: awaiting the event, not a timer, is what makes an expiry test deterministic.
   */
  waitLeft(channel: string, clientId: string): Promise<LeftEvent> {
    const done = this.leftLog.find((l) => l.channel === channel && l.member.clientId === clientId);
    if (done !== undefined) return Promise.resolve(done);
    return new Promise((resolve) => this.leftWaiters.push({ channel, clientId, resolve }));
  }

  wakeCount(clientId: string): number {
    return this.wakes.filter((w) => w === clientId).length;
  }
}

const msg = (channel: string, data: unknown = 1) => {
  const message = { channel, data };
  return { message, encoded: JSON.stringify(message) };
};

/** What the history and presence parts of the suite get from the main one. */
export interface ConformanceContext {
  /** A new engine (closed after the test) with the test's sink. */
  make(opts?: Partial<EngineOptions>): Promise<Engine>;
  /** The test's RecordingSink. */
  sink(): RecordingSink;
}

export function engineConformance(name: string, factory: EngineFactory): void {
  describe(`engine conformance: ${name}`, () => {
    const open: Engine[] = [];
    let sink: RecordingSink;

    async function make(opts: Partial<EngineOptions> = {}): Promise<Engine> {
      const engine = await factory(opts);
      open.push(engine);
      engine.setSink(sink);
      return engine;
    }

    async function publish(engine: Engine, channel: string, data: unknown = 1): Promise<number> {
      const { message, encoded } = msg(channel, data);
      return engine.publish(message, encoded);
    }

    beforeEach(() => {
      sink = new RecordingSink();
    });

    afterEach(async () => {
      vi.useRealTimers();
      for (const engine of open.splice(0)) await engine.close().catch(() => undefined);
    });

    describe('clients', () => {
      it('creates unique ids carrying at least 128 random bits, in an alphanumeric alphabet', async () => {
        const engine = await make();
        const ids = await Promise.all(Array.from({ length: 1000 }, () => engine.createClient()));
        expect(new Set(ids).size).toBe(1000);
        const alphabet = new Set<string>();
        for (const id of ids) {
          // Bayeux §2.4 clientId = alphanum *( alphanum ): strict clients (Faye) check it.
          expect(id).toMatch(/^[A-Za-z0-9]+$/);
          for (const c of id) alphabet.add(c);
        }
        const bitsPerChar = Math.log2(alphabet.size);
        const shortest = Math.min(...ids.map((id) => id.length));
        expect(shortest * bitsPerChar).toBeGreaterThanOrEqual(128);
        expect(await engine.clientCount()).toBe(1000);
      });

      it('clientExists follows create and destroy; the sink hears destroyed once', async () => {
        const engine = await make();
        const id = await engine.createClient();
        expect(await engine.clientExists(id)).toBe(true);
        expect(await engine.clientExists('nope')).toBe(false);
        await engine.destroyClient(id, 'disconnect');
        expect(await engine.clientExists(id)).toBe(false);
        expect(sink.destroyedLog).toEqual([{ clientId: id, reason: 'disconnect' }]);
        await engine.destroyClient(id, 'disconnect');
        expect(sink.destroyedLog).toHaveLength(1);
        expect(await engine.clientCount()).toBe(0);
      });

      it('destroying forgets subscriptions and queue', async () => {
        const engine = await make();
        const id = await engine.createClient();
        await engine.subscribe(id, '/a');
        await publish(engine, '/a');
        await engine.destroyClient(id, 'disconnect');
        expect(await publish(engine, '/a')).toBe(0);
        expect(await engine.takeQueue(id)).toEqual([]);
        expect(await engine.subscriptions(id)).toEqual([]);
      });

      it('unknown clients are no-ops, not errors', async () => {
        const engine = await make();
        await engine.ping('ghost');
        await engine.deliver('ghost', ['x']);
        expect(await engine.takeQueue('ghost')).toEqual([]);
        expect(await engine.unsubscribe('ghost', '/a')).toBe(false);
        expect(await engine.subscribe('ghost', '/a')).toEqual({ ok: false, reason: 'unknown-client' });
        expect(await engine.clientExists('ghost')).toBe(false);
        expect(sink.wakes).toEqual([]);
        expect(sink.destroyedLog).toEqual([]);
      });
    });

    describe('subscriptions', () => {
      it('subscribe is idempotent and unsubscribe says whether it existed', async () => {
        const engine = await make();
        const id = await engine.createClient();
        expect(await engine.subscribe(id, '/a')).toEqual({ ok: true });
        expect(await engine.subscribe(id, '/a')).toEqual({ ok: true });
        expect(await engine.subscriptions(id)).toEqual(['/a']);
        expect(await publish(engine, '/a')).toBe(1);
        expect(await engine.takeQueue(id)).toHaveLength(1);
        expect(await engine.unsubscribe(id, '/a')).toBe(true);
        expect(await engine.unsubscribe(id, '/a')).toBe(false);
        expect(await publish(engine, '/a')).toBe(0);
        expect(await engine.takeQueue(id)).toEqual([]);
      });

      it('lists every subscription', async () => {
        const engine = await make();
        const id = await engine.createClient();
        for (const p of ['/a', '/b/*', '/c/**']) await engine.subscribe(id, p);
        expect((await engine.subscriptions(id)).sort()).toEqual(['/a', '/b/*', '/c/**']);
      });

      it('maxSubscriptions is crossed by one; re-subscribing at the limit is fine', async () => {
        const engine = await make({ maxSubscriptions: 3 });
        const id = await engine.createClient();
        for (const p of ['/a', '/b', '/c']) expect((await engine.subscribe(id, p)).ok).toBe(true);
        expect(await engine.subscribe(id, '/d')).toEqual({ ok: false, reason: 'too-many-subscriptions' });
        expect(await engine.subscribe(id, '/a')).toEqual({ ok: true });
        expect(await engine.subscriptions(id)).toHaveLength(3);
        await engine.unsubscribe(id, '/a');
        expect((await engine.subscribe(id, '/d')).ok).toBe(true);
      });
    });

    describe('publish', () => {
      it('delivers by exact name and trailing wildcards (Bayeux §2.2.1)', async () => {
        const engine = await make();
        const subs: Record<string, string> = {};
        for (const p of ['/foo/bar', '/foo/*', '/foo/**', '/**', '/other']) {
          const id = await engine.createClient();
          await engine.subscribe(id, p);
          subs[p] = id;
        }
        const received = async (p: string) => (await engine.takeQueue(subs[p] as string)).length;

        expect(await publish(engine, '/foo/bar')).toBe(4);
        expect(await received('/foo/bar')).toBe(1);
        expect(await received('/foo/*')).toBe(1);
        expect(await received('/foo/**')).toBe(1);
        expect(await received('/**')).toBe(1);
        expect(await received('/other')).toBe(0);

        expect(await publish(engine, '/foo/bar/baz')).toBe(2);
        expect(await received('/foo/bar')).toBe(0);
        expect(await received('/foo/*')).toBe(0);
        expect(await received('/foo/**')).toBe(1);
        expect(await received('/**')).toBe(1);

        expect(await publish(engine, '/foo')).toBe(1);
        expect(await received('/**')).toBe(1);
        expect(await received('/foo/*')).toBe(0);
        expect(await received('/foo/**')).toBe(0);

        expect(await publish(engine, '/foobar')).toBe(1);
        expect(await received('/foo/*')).toBe(0);
      });

      it('delivers once per client when several subscriptions match', async () => {
        const engine = await make();
        const id = await engine.createClient();
        for (const p of ['/a/b', '/a/*', '/a/**', '/**']) await engine.subscribe(id, p);
        expect(await publish(engine, '/a/b')).toBe(1);
        expect(await engine.takeQueue(id)).toHaveLength(1);
        expect(sink.wakeCount(id)).toBe(1);
      });

      it('returns the number of clients queued for, and 0 with no subscriber', async () => {
        const engine = await make();
        const ids = await Promise.all([1, 2, 3].map(() => engine.createClient()));
        await engine.subscribe(ids[0] as string, '/x');
        await engine.subscribe(ids[1] as string, '/x/**');
        await engine.subscribe(ids[2] as string, '/y');
        expect(await publish(engine, '/x')).toBe(1);
        expect(await publish(engine, '/x/1')).toBe(1);
        expect(await publish(engine, '/z')).toBe(0);
      });

      it('queues the encoded text unchanged and wakes only matching clients', async () => {
        const engine = await make();
        const a = await engine.createClient();
        const b = await engine.createClient();
        await engine.subscribe(a, '/a');
        await engine.subscribe(b, '/b');
        const { message, encoded } = msg('/a', { text: 'héllo \u2028' });
        await engine.publish(message, encoded);
        expect(await engine.takeQueue(a)).toEqual([encoded]);
        expect(sink.wakes).toEqual([a]);
      });

      it('keeps order per publisher, awaited or not', async () => {
        const engine = await make();
        const id = await engine.createClient();
        await engine.subscribe(id, '/o/**');
        for (let i = 0; i < 20; i++) await publish(engine, '/o/x', i);
        await Promise.all(Array.from({ length: 20 }, (_, i) => publish(engine, `/o/${i % 3}`, 20 + i)));
        const queue = await engine.takeQueue(id);
        expect(queue.map((e) => (JSON.parse(e) as { data: number }).data)).toEqual(
          Array.from({ length: 40 }, (_, i) => i),
        );
      });

      it('takeQueue with maxBytes takes the oldest within the budget, at least one, and leaves the rest', async () => {
        const engine = await make();
        const id = await engine.createClient();
        await engine.deliver(id, ['"1234"', '"12"', '"123456"', '"1"']);
        expect(await engine.takeQueue(id, 9)).toEqual(['"1234"']); // 6 + 4 > 9
        expect(await engine.takeQueue(id, 4)).toEqual(['"12"']); // exactly the budget
        expect(await engine.takeQueue(id, 3)).toEqual(['"123456"']); // larger than the budget: alone
        expect(await engine.takeQueue(id, 100)).toEqual(['"1"']);
        expect(await engine.takeQueue(id, 100)).toEqual([]);
      });

      it('takeQueue drains', async () => {
        const engine = await make();
        const id = await engine.createClient();
        await engine.subscribe(id, '/a');
        await publish(engine, '/a', 1);
        await publish(engine, '/a', 2);
        expect(await engine.takeQueue(id)).toHaveLength(2);
        expect(await engine.takeQueue(id)).toEqual([]);
        await publish(engine, '/a', 3);
        expect(await engine.takeQueue(id)).toEqual([msg('/a', 3).encoded]);
      });
    });

    describe('deliver', () => {
      it('queues for one client only, in order, and wakes it', async () => {
        const engine = await make();
        const a = await engine.createClient();
        const b = await engine.createClient();
        await engine.subscribe(b, '/**');
        await engine.deliver(a, ['one', 'two']);
        await engine.deliver(a, ['three']);
        expect(await engine.takeQueue(a)).toEqual(['one', 'two', 'three']);
        expect(await engine.takeQueue(b)).toEqual([]);
        expect(sink.wakeCount(a)).toBeGreaterThanOrEqual(1);
        expect(sink.wakeCount(b)).toBe(0);
      });

      it('delivering nothing does not wake', async () => {
        const engine = await make();
        const a = await engine.createClient();
        await engine.deliver(a, []);
        expect(sink.wakes).toEqual([]);
      });
    });

    describe('requeue', () => {
      it('puts messages back at the HEAD of the queue, in order, ahead of newer ones, and wakes', async () => {
        const engine = await make();
        const id = await engine.createClient();
        await engine.deliver(id, ['1', '2', '3']);
        const taken = await engine.takeQueue(id);
        await engine.deliver(id, ['4', '5']);
        const wakes = sink.wakeCount(id);
        await engine.requeue(id, taken);
        expect(sink.wakeCount(id)).toBe(wakes + 1);
        expect(await engine.takeQueue(id)).toEqual(['1', '2', '3', '4', '5']);
        // Twice in a row: the second batch is older than the first one put back.
        await engine.deliver(id, ['c']);
        await engine.requeue(id, ['b']);
        await engine.requeue(id, ['a']);
        expect(await engine.takeQueue(id)).toEqual(['a', 'b', 'c']);
      });

      it('into an empty queue, after a partial drop, and for unknown clients (a no-op)', async () => {
        const engine = await make({ maxQueue: 3, queuePolicy: 'drop-oldest' });
        const id = await engine.createClient();
        await engine.requeue(id, ['x', 'y']);
        expect(await engine.takeQueue(id)).toEqual(['x', 'y']);
        await engine.requeue('nobody', ['z']);
        expect(await engine.clientExists('nobody')).toBe(false);
        await engine.requeue(id, []);
        expect(await engine.takeQueue(id)).toEqual([]);
      });

      it('drop-oldest applies (crossed by one): the oldest, the ones put back, go first', async () => {
        const engine = await make({ maxQueue: 3, queuePolicy: 'drop-oldest' });
        const id = await engine.createClient();
        await engine.deliver(id, ['3', '4']);
        await engine.requeue(id, ['2']);
        expect(await engine.takeQueue(id)).toEqual(['2', '3', '4']);
        await engine.deliver(id, ['3', '4']);
        await engine.requeue(id, ['1', '2']);
        expect(await engine.takeQueue(id)).toEqual(['2', '3', '4']);
        expect(await engine.clientExists(id)).toBe(true);
      });

      it('disconnect applies (crossed by one)', async () => {
        const engine = await make({ maxQueue: 2, queuePolicy: 'disconnect' });
        const id = await engine.createClient();
        await engine.deliver(id, ['b']);
        await engine.requeue(id, ['a']);
        expect(await engine.clientExists(id)).toBe(true);
        await engine.requeue(id, ['0']);
        expect(await sink.waitDestroyed(id)).toBe('slow');
      });
    });

    describe('queue limits', () => {
      it('drop-oldest keeps the newest maxQueue messages (crossed by one)', async () => {
        const engine = await make({ maxQueue: 3, queuePolicy: 'drop-oldest' });
        const id = await engine.createClient();
        await engine.subscribe(id, '/q');
        for (let i = 1; i <= 3; i++) await publish(engine, '/q', i);
        expect(await engine.takeQueue(id)).toEqual([1, 2, 3].map((i) => msg('/q', i).encoded));
        for (let i = 1; i <= 4; i++) await publish(engine, '/q', i);
        expect(await engine.takeQueue(id)).toEqual([2, 3, 4].map((i) => msg('/q', i).encoded));
        for (let i = 1; i <= 10; i++) await publish(engine, '/q', i);
        await engine.deliver(id, ['d']);
        expect(await engine.takeQueue(id)).toEqual([msg('/q', 9).encoded, msg('/q', 10).encoded, 'd']);
        expect(await engine.clientExists(id)).toBe(true);
        expect(sink.destroyedLog).toEqual([]);
      });

      it('disconnect destroys the slow client with reason slow (crossed by one)', async () => {
        const engine = await make({ maxQueue: 3, queuePolicy: 'disconnect' });
        const slow = await engine.createClient();
        const fast = await engine.createClient();
        await engine.subscribe(slow, '/q');
        await engine.subscribe(fast, '/q');
        for (let i = 1; i <= 3; i++) await publish(engine, '/q', i);
        await engine.takeQueue(fast);
        expect(await engine.clientExists(slow)).toBe(true);
        expect(await publish(engine, '/q', 4)).toBe(1);
        expect(await sink.waitDestroyed(slow)).toBe('slow');
        expect(await engine.clientExists(slow)).toBe(false);
        expect(await engine.clientExists(fast)).toBe(true);
        expect(await engine.takeQueue(fast)).toEqual([msg('/q', 4).encoded]);
        expect(await publish(engine, '/q', 5)).toBe(1);
      });

      it('maxQueueBytes, drop-oldest: the oldest go until the new message fits (crossed by one byte)', async () => {
        // Three 10-byte messages fill 30 bytes exactly; one byte more drops the oldest.
        const engine = await make({ maxQueueBytes: 30, queuePolicy: 'drop-oldest' });
        const id = await engine.createClient();
        await engine.deliver(id, ['"aaaaaaa1"', '"aaaaaaa2"', '"aaaaaaa3"']);
        expect(await engine.takeQueue(id)).toEqual(['"aaaaaaa1"', '"aaaaaaa2"', '"aaaaaaa3"']);
        await engine.deliver(id, ['"aaaaaaa1"', '"aaaaaaa2"', '"aaaaaaa3"', '"b"']);
        expect(await engine.takeQueue(id)).toEqual(['"aaaaaaa2"', '"aaaaaaa3"', '"b"']);
        // Bytes are UTF-8 bytes: "é" is two.
        await engine.deliver(id, ['"éééééééééé"', '"aaaaaaa2"']); // 22 + 10 bytes, 22 characters
        expect(await engine.takeQueue(id)).toEqual(['"aaaaaaa2"']);
        expect(await engine.clientExists(id)).toBe(true);
      });

      it('maxQueueBytes, disconnect: the slow client is destroyed (crossed by one byte)', async () => {
        const engine = await make({ maxQueueBytes: 20, queuePolicy: 'disconnect' });
        const id = await engine.createClient();
        await engine.subscribe(id, '/q');
        const ten = '"aaaaaaaa"';
        await engine.deliver(id, [ten, ten]);
        expect(await engine.clientExists(id)).toBe(true);
        await engine.deliver(id, ['1']);
        expect(await sink.waitDestroyed(id)).toBe('slow');
      });

      it('disconnect applies to direct deliveries too', async () => {
        const engine = await make({ maxQueue: 2, queuePolicy: 'disconnect' });
        const id = await engine.createClient();
        await engine.deliver(id, ['a', 'b']);
        expect(await engine.clientExists(id)).toBe(true);
        await engine.deliver(id, ['c']);
        expect(await sink.waitDestroyed(id)).toBe('slow');
      });
    });

    describe('expiry', () => {
      it('a client not pinged within maxInterval expires; a pinged one does not', async () => {
        vi.useFakeTimers({ toFake: [...FAKE.toFake] });
        const engine = await make({ maxInterval: 1000, sweepInterval: 100 });
        const idle = await engine.createClient();
        const active = await engine.createClient();
        await vi.advanceTimersByTimeAsync(600);
        await engine.ping(active);
        await vi.advanceTimersByTimeAsync(600);
        // An engine call first: a networked engine's sweep may still be talking to its store when the
        // fake clock stops (I/O is real); a call made after the sweep fired sees its result.
        expect(await engine.clientExists(idle)).toBe(false);
        expect(sink.destroyedLog).toEqual([{ clientId: idle, reason: 'expired' }]);
        expect(await engine.clientExists(active)).toBe(true);
        await vi.advanceTimersByTimeAsync(600);
        expect(await sink.waitDestroyed(active)).toBe('expired');
        expect(await engine.clientCount()).toBe(0);
      });

      it('expires within maxInterval + sweepInterval, not before maxInterval', async () => {
        vi.useFakeTimers({ toFake: [...FAKE.toFake] });
        const engine = await make({ maxInterval: 1000, sweepInterval: 250 });
        const id = await engine.createClient();
        await vi.advanceTimersByTimeAsync(999);
        expect(await engine.clientExists(id)).toBe(true);
        await vi.advanceTimersByTimeAsync(1 + 250);
        expect(await engine.clientExists(id)).toBe(false);
        expect(sink.destroyedLog).toEqual([{ clientId: id, reason: 'expired' }]);
      });

      it('never expires a client whose connect is held (sink.isHeld), and counts from its release', async () => {
        vi.useFakeTimers({ toFake: [...FAKE.toFake] });
        const engine = await make({ maxInterval: 1000, sweepInterval: 100 });
        const held = await engine.createClient();
        sink.held.add(held);
        await vi.advanceTimersByTimeAsync(5000);
        expect(await engine.clientExists(held)).toBe(true);
        // The server releases the connect and pings as its reply leaves (expiry counts from the reply).
        sink.held.delete(held);
        await engine.ping(held);
        await vi.advanceTimersByTimeAsync(500);
        expect(await engine.clientExists(held)).toBe(true);
        await vi.advanceTimersByTimeAsync(1000);
        expect(await sink.waitDestroyed(held)).toBe('expired');
      });

      it('uses one sweeper timer for all clients, and close() stops it', async () => {
        vi.useFakeTimers({ toFake: [...FAKE.toFake] });
        const before = vi.getTimerCount();
        const engine = await make({ maxInterval: 1000, sweepInterval: 100 });
        await engine.createClient();
        const withOne = vi.getTimerCount();
        for (let i = 0; i < 50; i++) await engine.ping(await engine.createClient());
        // No timer per client: the count does not grow with clients.
        expect(vi.getTimerCount()).toBe(withOne);
        await engine.close();
        expect(vi.getTimerCount()).toBe(before);
      });

      it('expires in real time too (short interval, awaiting the sink)', async () => {
        const engine = await make({ maxInterval: 30, sweepInterval: 10 });
        const id = await engine.createClient();
        expect(await sink.waitDestroyed(id)).toBe('expired');
        expect(await engine.clientExists(id)).toBe(false);
      });
    });

    describe('client state', () => {
      it('get/set/take per client and key; take is atomic; unknown clients are no-ops', async () => {
        const engine = await make();
        const a = await engine.createClient();
        const b = await engine.createClient();
        expect(await engine.getClientState(a, 'k')).toBeUndefined();
        await engine.setClientState(a, 'k', 'v1');
        await engine.setClientState(b, 'k', 'other');
        await engine.setClientState(a, 'k', 'v2');
        expect(await engine.getClientState(a, 'k')).toBe('v2');
        expect(await engine.getClientState(a, 'j')).toBeUndefined();
        const takes = await Promise.all([1, 2, 3].map(() => engine.takeClientState(a, 'k')));
        expect(takes.filter((t) => t !== undefined)).toEqual(['v2']);
        expect(await engine.getClientState(a, 'k')).toBeUndefined();
        expect(await engine.getClientState(b, 'k')).toBe('other');
        await engine.setClientState(b, 'k', undefined);
        expect(await engine.getClientState(b, 'k')).toBeUndefined();
        await engine.setClientState('ghost', 'k', 'v');
        expect(await engine.getClientState('ghost', 'k')).toBeUndefined();
        expect(await engine.takeClientState('ghost', 'k')).toBeUndefined();
      });

      it('is forgotten with the client', async () => {
        const engine = await make();
        const id = await engine.createClient();
        await engine.setClientState(id, 'ack', 'x'.repeat(10_000));
        await engine.destroyClient(id, 'disconnect');
        expect(await engine.getClientState(id, 'ack')).toBeUndefined();
      });
    });

    describe('take journal', () => {
      it('takeQueue with a journal records what it took, atomically; readJournal reads it back until cleared', async () => {
        const engine = await make();
        const id = await engine.createClient();
        await engine.subscribe(id, '/j');
        const other = await engine.createClient();
        await engine.subscribe(other, '/j');
        await publish(engine, '/j', 1); // two recipients: a shared body in engines that share
        await engine.deliver(id, ['"direct"']);
        expect(await engine.readJournal(id, 'taken')).toEqual([]);
        expect(await engine.takeQueue(id, undefined, 'taken')).toEqual([msg('/j', 1).encoded, '"direct"']);
        await engine.deliver(id, ['"two"', '"three"']);
        expect(await engine.takeQueue(id, 1, 'taken')).toEqual(['"two"']);
        expect(await engine.readJournal(id, 'taken')).toEqual([msg('/j', 1).encoded, '"direct"', '"two"']);
        expect(await engine.takeQueue(id)).toEqual(['"three"']); // no journal: not recorded
        expect(await engine.readJournal(id, 'taken')).toHaveLength(3);
        await engine.setClientState(id, 'taken', undefined);
        expect(await engine.readJournal(id, 'taken')).toEqual([]);
        expect(await engine.readJournal('ghost', 'taken')).toEqual([]);
      });
    });

    describe('browser holds (maxSessionsPerBrowser)', () => {
      it('counts the other clients of a browser holding a connect, until released or lapsed', async () => {
        vi.useFakeTimers({ toFake: [...FAKE.toFake] });
        const engine = await make();
        const now = Date.now();
        expect(await engine.browserHolds('b1', 'a')).toBe(0);
        await engine.setBrowserHold('b1', 'a', now + 1000);
        await engine.setBrowserHold('b1', 'b', now + 5000);
        await engine.setBrowserHold('b2', 'c', now + 5000);
        expect(await engine.browserHolds('b1', 'x')).toBe(2);
        expect(await engine.browserHolds('b1', 'a')).toBe(1);
        expect(await engine.browserHolds('b2', 'x')).toBe(1);
        await engine.setBrowserHold('b1', 'b', undefined);
        expect(await engine.browserHolds('b1', 'x')).toBe(1);
        // A hold whose node never said it ended lapses at its deadline.
        await vi.advanceTimersByTimeAsync(999);
        expect(await engine.browserHolds('b1', 'x')).toBe(1);
        await vi.advanceTimersByTimeAsync(1);
        expect(await engine.browserHolds('b1', 'x')).toBe(0);
        expect(await engine.browserHolds('b2', 'x')).toBe(1);
      });
    });
    historyConformance({ make, sink: () => sink });
    presenceConformance({ make, sink: () => sink });
    queueTakeConformance({ make, sink: () => sink });

    describe('close', () => {
      it('later calls reject with ENGINE_CLOSED', async () => {
        const engine = await make();
        const id = await engine.createClient();
        await engine.close();
        for (const call of [
          () => engine.createClient(),
          () => engine.clientExists(id),
          () => engine.subscribe(id, '/a'),
          () => engine.publish(msg('/a').message, msg('/a').encoded),
          () => engine.takeQueue(id),
          () => engine.ping(id),
        ]) {
          const err = await call().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(EngineError);
          expect((err as EngineError).code).toBe('ENGINE_CLOSED');
        }
        expect(sink.destroyedLog).toEqual([]);
      });
    });
  });
}
