import diagnosticsChannel from 'node:diagnostics_channel';
import { engineConformance, LIMITS, RecordingSink } from '@pushwire/server/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryEngine, type MemoryEngine } from '../../src/engine/memory-engine.js';
import { MessageQueue } from '../../src/engine/message-queue.js';

engineConformance('memory', async (opts) => createMemoryEngine(opts));

describe('MemoryEngine specifics', () => {
  const engines: MemoryEngine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
  });
  const make = (opts = {}) => {
    const e = createMemoryEngine(opts);
    engines.push(e);
    return e;
  };

  it('fills in defaults and refuses bad options', () => {
    expect(make().options).toEqual({
      maxInterval: 10_000,
      maxQueue: 1000,
      maxQueueBytes: 16 * 1024 * 1024,
      queuePolicy: 'drop-oldest',
      maxSubscriptions: 100,
      sweepInterval: 1000,
      maxHistoryBytes: 64 * 1024 * 1024,
    });
    expect(() => createMemoryEngine({ maxQueue: 0 })).toThrow(RangeError);
    expect(() => createMemoryEngine({ maxHistoryBytes: 0 })).toThrow(RangeError);
    expect(() => createMemoryEngine({ maxInterval: 1.5 })).toThrow(RangeError);
    expect(() => createMemoryEngine({ sweepInterval: -1 })).toThrow(RangeError);
    expect(() => createMemoryEngine({ queuePolicy: 'drop-newest' as never })).toThrow(RangeError);
  });

  // The clients Map is also the liveness order (no second Map per client): a ping must move the client to
  // the end, or a sweep stopping at the first fresh client would never reach the idle ones behind it.
  it('pinging the oldest client moves it behind the others: the sweep still expires those', async () => {
    vi.useFakeTimers();
    try {
      const engine = make({ maxInterval: 1000, sweepInterval: 100 });
      const sink = new RecordingSink();
      engine.setSink(sink);
      const oldest = await engine.createClient();
      const idle = [await engine.createClient(), await engine.createClient()];
      await vi.advanceTimersByTimeAsync(600);
      await engine.touchClient(oldest);
      await vi.advanceTimersByTimeAsync(600);
      expect(sink.destroyedLog).toEqual(idle.map((clientId) => ({ clientId, reason: 'expired' })));
      expect(await engine.clientExists(oldest)).toBe(true);
      await vi.advanceTimersByTimeAsync(600);
      expect(await engine.clientExists(oldest)).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('client ids are 31 base36 characters (160 bits)', async () => {
    const e = make();
    const id = await e.createClient();
    expect(id).toMatch(/^[0-9a-z]{31}$/);
  });

  it('reports destroys and drops on diagnostics channels', async () => {
    const e = make({ maxQueue: 1 });
    e.setSink(new RecordingSink());
    const seen: unknown[] = [];
    const onDestroy = (m: unknown) => seen.push(['destroy', m]);
    const onDrop = (m: unknown) => seen.push(['drop', m]);
    diagnosticsChannel.subscribe('pushwire:engine:destroy', onDestroy);
    diagnosticsChannel.subscribe('pushwire:engine:drop', onDrop);
    try {
      const id = await e.createClient();
      await e.deliver(id, ['a', 'b']);
      await e.destroyClient(id, 'disconnect');
      expect(seen).toEqual([
        ['drop', { clientId: id, dropped: 1, bytes: 1, limit: 'maxQueue' }],
        ['destroy', { clientId: id, reason: 'disconnect', dropped: 1, bytes: 1 }],
      ]);
    } finally {
      diagnosticsChannel.unsubscribe('pushwire:engine:destroy', onDestroy);
      diagnosticsChannel.unsubscribe('pushwire:engine:drop', onDrop);
    }
  });

  it('a sink that takes the queue inside wake sees the message (wake runs after queueing)', async () => {
    const e = make();
    const got: string[][] = [];
    e.setSink({
      wake: (id) => {
        void e.takeQueue(id).then((q) => got.push(q));
      },
      destroyed: () => undefined,
    });
    const id = await e.createClient();
    await e.subscribe(id, '/a');
    await e.publish({ channel: '/a', data: 1 }, '{"channel":"/a","data":1}');
    await Promise.resolve();
    expect(got).toEqual([['{"channel":"/a","data":1}']]);
  });

  it('publish looks up only the expanded keys, not every client', async () => {
    const e = make({ maxSubscriptions: 1, maxQueue: 5000 });
    const ids: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const id = await e.createClient();
      await e.subscribe(id, `/room/${i}`);
      ids.push(id);
    }
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) await e.publish({ channel: '/room/7', data: i }, 'x');
    // 2000 publishes to one subscriber among 2000 clients: a scan of all clients would be 4M steps.
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await e.takeQueue(ids[7] as string)).toHaveLength(2000);
    expect(await e.takeQueue(ids[8] as string)).toHaveLength(0);
  });
});

describe('MemoryEngine history', () => {
  const engines: MemoryEngine[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const e of engines.splice(0)) await e.close();
  });
  const make = (opts = {}) => {
    const e = createMemoryEngine(opts);
    engines.push(e);
    return e;
  };
  const tpl = (data: string) => {
    const text = JSON.stringify({ channel: '/c', data, ext: { history: 0 } });
    return { head: text.slice(0, -3), tail: '}}' };
  };

  it('a new engine is a new epoch: a position from the old one is not recoverable', async () => {
    const first = make();
    const { position } = await first.publishHistory({ channel: '/c', data: 'a' }, tpl('a'), LIMITS);
    await first.close();
    const second = make();
    const id = await second.createClient();
    const r = await second.subscribeHistory(id, '/c', { after: position }, LIMITS);
    expect(r.read?.complete).toBe(false);
    expect(r.read?.position.epoch).not.toBe(position.epoch);
    expect(r.read?.position.offset).toBe(0);
  });

  it('maxHistoryBytes: past it the least recently published channel loses its history (by one)', async () => {
    const probe = make();
    await probe.publishHistory({ channel: '/c', data: 'x' }, tpl('x'), LIMITS);
    const oneChannel = probe.historyBytes;
    const e = make({ maxHistoryBytes: oneChannel * 2 });
    const evicted: unknown[] = [];
    const onEvict = (m: unknown) => evicted.push(m);
    diagnosticsChannel.subscribe('pushwire:engine:history-evict', onEvict);
    const a = await e.publishHistory({ channel: '/a', data: 'x' }, tpl('x'), LIMITS);
    await e.publishHistory({ channel: '/b', data: 'x' }, tpl('x'), LIMITS);
    expect(e.historyBytes).toBe(oneChannel * 2);
    expect(
      (await e.readHistory('/a', { after: { offset: 0, epoch: a.position.epoch } }, LIMITS)).complete,
    ).toBe(true);
    // One more message anywhere crosses the bound: /a, published least recently, goes.
    await e.publishHistory({ channel: '/b', data: 'x' }, tpl('x'), LIMITS);
    expect(e.historyBytes).toBeLessThanOrEqual(oneChannel * 2);
    diagnosticsChannel.unsubscribe('pushwire:engine:history-evict', onEvict);
    expect(evicted).toEqual([{ channel: '/a', epoch: a.position.epoch }]);
    const after = await e.readHistory('/a', { after: a.position }, LIMITS);
    expect(after.complete).toBe(false);
    expect(after.position.epoch).not.toBe(a.position.epoch);
  });

  it('maxHistoryBytes: empty channels (an epoch only) are evicted before any channel holding messages', async () => {
    const probe = make();
    await probe.readHistory('/empty', { last: 1 }, LIMITS);
    const empty = probe.historyBytes;
    await probe.publishHistory({ channel: '/c', data: 'x' }, tpl('x'), LIMITS);
    const withOne = probe.historyBytes;
    const e = make({ maxHistoryBytes: withOne + empty * 2 });
    const kept = await e.publishHistory({ channel: '/c', data: 'x' }, tpl('x'), LIMITS);
    // Subscribers of many new names, each creating an empty stream: only those are evicted.
    const id = await e.createClient();
    for (let i = 0; i < 10; i++) await e.subscribeHistory(id, `/n/${i}`, undefined, LIMITS);
    expect(e.historyBytes).toBeLessThanOrEqual(withOne + empty * 2);
    const read = await e.readHistory('/c', { after: { offset: 0, epoch: kept.position.epoch } }, LIMITS);
    expect(read.complete).toBe(true);
    expect(read.messages).toHaveLength(1);
  });

  it('the sweeper drops a channel whose history has all expired (memory returns to 0)', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
    const e = make({ sweepInterval: 100 });
    const limits = { ...LIMITS, ttl: 1000 };
    await e.publishHistory({ channel: '/c', data: 'x' }, tpl('x'), limits);
    expect(e.historyBytes).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(900);
    expect(e.historyBytes).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(300);
    expect(e.historyBytes).toBe(0);
  });
});

describe('MemoryEngine liveness order', () => {
  it('clients seen twice in one millisecond keep their order and expire maxInterval after they were last seen', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
    const e = createMemoryEngine({ maxInterval: 1000, sweepInterval: 100 });
    try {
      const a = await e.createClient();
      const b = await e.createClient();
      await vi.advanceTimersByTimeAsync(10);
      await e.ping(a);
      await e.touchClient(b);
      await e.ping(a); // the same millisecond as its last ping: left in place
      await vi.advanceTimersByTimeAsync(500);
      await e.ping(b); // at 510
      await vi.advanceTimersByTimeAsync(1000); // a last seen at 10, b at 510
      expect(await e.clientExists(a)).toBe(false);
      expect(await e.clientExists(b)).toBe(true);
      await vi.advanceTimersByTimeAsync(100);
      expect(await e.clientExists(b)).toBe(false);
    } finally {
      await e.close();
      vi.useRealTimers();
    }
  });
});

describe('MessageQueue', () => {
  it('keeps FIFO order across drops and drains', () => {
    const q = new MessageQueue();
    for (let i = 0; i < 5; i++) q.push(String(i), 1);
    expect(q.dropOldest()).toBe('0');
    expect(q.length).toBe(4);
    expect(q.drain()).toEqual(['1', '2', '3', '4']);
    expect(q.length).toBe(0);
    expect(q.dropOldest()).toBeUndefined();
  });

  it('counts bytes, takes within a byte budget (always at least one), and puts back at the head', () => {
    const q = new MessageQueue();
    q.push('aa', 2);
    q.push('bbb', 3);
    q.push('c', 1);
    expect(q.bytes).toBe(6);
    expect(q.take(4)).toEqual(['aa']);
    expect(q.bytes).toBe(4);
    expect(q.take(1)).toEqual(['bbb']); // larger than the budget: alone
    q.unshift(['x', 'y'], [1, 1]);
    expect(q.bytes).toBe(3);
    expect(q.take(2)).toEqual(['x', 'y']);
    expect(q.take(100)).toEqual(['c']);
    expect(q.bytes).toBe(0);
    expect(q.take(5)).toEqual([]);
  });

  it('compacts a long dead prefix and stays correct', () => {
    const q = new MessageQueue();
    for (let i = 0; i < 5000; i++) {
      q.push(String(i), 1);
      if (q.length > 1000) q.dropOldest();
    }
    expect(q.length).toBe(1000);
    const all = q.drain();
    expect(all[0]).toBe('4000');
    expect(all[999]).toBe('4999');
  });
});
