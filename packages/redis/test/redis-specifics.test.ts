// Redis-engine specifics beyond the conformance suite: option checks, the key layout and TTLs, shared
// message bodies and their expiry, the sweep batch bound, and the node messages' wire format.

import diagnosticsChannel from 'node:diagnostics_channel';
import { RecordingSink } from '@pushwire/server/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createRedisEngine, Keys, type RedisEngine, RedisEngine as RedisEngineClass } from '../src/index.js';
import { SHARE_MIN_BYTES } from '../src/keys.js';
import { decodeNodeMessage, nodeMessage } from '../src/wire.js';
import { deleteKeys, listKeys, REDIS_URL, redisAvailable, testPrefix } from './redis-helpers.js';

const available = await redisAvailable();

describe('options and wire format (no Redis needed)', () => {
  it('refuses bad options with RangeError, and a prefix that would become a hash tag', () => {
    for (const bad of [
      { keyTtl: 0 },
      { bodyTtl: 1.5 },
      { sweepBatch: -1 },
      { sweepLockTtl: 0 },
      { maxQueue: 0 },
    ]) {
      expect(() => new RedisEngineClass({ ...bad, url: 'redis://127.0.0.1:1' }), JSON.stringify(bad)).toThrow(
        RangeError,
      );
    }
    expect(() => new Keys('a{b}')).toThrow(/braces/);
    expect(() => new Keys('')).toThrow(RangeError);
    expect(() => new Keys('with space')).toThrow(RangeError);
  });

  it('node messages round-trip, and anything else is refused (not thrown)', () => {
    const lost = { dropped: 2, bytes: 30 };
    for (const m of [
      { kind: 'wake', ids: ['a', 'b'] },
      { kind: 'destroyed', reason: 'slow', lost, ids: ['c'] },
      { kind: 'check-expired', deadline: 1234, ids: ['d', 'e'] },
    ] as const) {
      expect(decodeNodeMessage(nodeMessage(m))).toEqual(m);
    }
    for (const junk of ['', 'w', 'd nope 1 1 x', 'd slow x 1 a', 'x soon a', 'q a b']) {
      expect(decodeNodeMessage(junk), junk).toBeUndefined();
    }
  });
});

describe.runIf(available)('redis engine specifics', () => {
  const engines: RedisEngine[] = [];
  const prefixes: string[] = [];
  const redis = new Redis(REDIS_URL);
  afterEach(async () => {
    vi.useRealTimers();
    for (const e of engines.splice(0)) await e.close();
  });
  afterAll(async () => {
    for (const p of prefixes) await deleteKeys(p);
    redis.disconnect();
  });

  async function make(opts: Parameters<typeof createRedisEngine>[0] = {}) {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const engine = await createRedisEngine({ url: REDIS_URL, prefix, ...opts });
    engines.push(engine);
    const sink = new RecordingSink();
    engine.setSink(sink);
    return { engine, sink, prefix };
  }

  it("lays a client's keys out under its hash tag, with keyTtl", async () => {
    const { engine, prefix } = await make({ keyTtl: 50_000 });
    const id = await engine.createClient();
    await engine.subscribe(id, '/a/*');
    await engine.deliver(id, ['x']);
    expect(await listKeys(prefix)).toEqual(
      [
        `${prefix}:c:{${id}}`,
        `${prefix}:i:/a/*`,
        `${prefix}:nodes`,
        `${prefix}:q:{${id}}`,
        `${prefix}:s:{${id}}`,
        `${prefix}:seen`,
      ].sort(),
    );
    // Queueing refreshes no TTL (issue 13: one command fewer per delivery): the queue gets its TTL from
    // the client's next connect (ping).
    expect(await redis.pttl(engine.keys.queue(id))).toBe(-1);
    await engine.ping(id);
    for (const key of [engine.keys.client(id), engine.keys.subs(id), engine.keys.queue(id)]) {
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(45_000);
      expect(ttl, key).toBeLessThanOrEqual(50_000);
    }
    expect(await redis.hget(engine.keys.client(id), 'qbytes')).toBe('1');
  });

  it('a queue whose client keys expired before any sweep is deleted by the next sweep (no TTL is needed)', async () => {
    // maxInterval 1: both clients are idle at the first tick, 300 ms after start, and go in one sweep.
    const { engine, sink } = await make({ maxInterval: 1, sweepInterval: 300 });
    const gone = await engine.createClient();
    await engine.deliver(gone, ['"left behind"']);
    expect(await redis.pttl(engine.keys.queue(gone))).toBe(-1);
    // What keyTtl does when no node swept for that long: the client HASH expires, its queue (no TTL) stays.
    await redis.del(engine.keys.client(gone));
    const other = await engine.createClient();
    await sink.waitDestroyed(other);
    // The sweep that expired `other` found `gone` unknown: it deleted what was left, and told no sink.
    expect(await redis.exists(engine.keys.queue(gone))).toBe(0);
    expect(sink.destroyedLog).toEqual([{ clientId: other, reason: 'expired' }]);
    expect(await engine.clientCount()).toBe(0);
  });

  it('a body shared by several queues expires after bodyTtl; its loss is reported, not hidden', async () => {
    const { engine } = await make({ bodyTtl: 50 });
    const a = await engine.createClient();
    const b = await engine.createClient();
    const solo = await engine.createClient();
    await engine.subscribe(a, '/s');
    await engine.subscribe(b, '/s');
    await engine.subscribe(solo, '/solo');
    const shared = 's'.repeat(SHARE_MIN_BYTES); // small bodies are queued inline
    await engine.publish({ channel: '/s', data: 1 }, shared);
    await engine.publish({ channel: '/solo', data: 1 }, 'inline'); // one recipient: stored in the queue
    expect(await engine.takeQueue(a)).toEqual([shared]);
    const drops: unknown[] = [];
    const onDrop = (m: unknown) => drops.push(m);
    diagnosticsChannel.subscribe('pushwire:engine:drop', onDrop);
    try {
      await new Promise((r) => setTimeout(r, 120));
      expect(await engine.takeQueue(b)).toEqual([]);
      expect(drops).toEqual([{ clientId: b, dropped: 1, reason: 'body-expired' }]);
      expect(await engine.takeQueue(solo)).toEqual(['inline']);
    } finally {
      diagnosticsChannel.unsubscribe('pushwire:engine:drop', onDrop);
    }
  });

  it('one sweep handles at most sweepBatch idle clients (crossed by one); the next tick the rest', async () => {
    // Real time, ticks far apart (300 ms) and clients idle at once (maxInterval 1): each tick is one sweep.
    const { engine, sink } = await make({ maxInterval: 1, sweepInterval: 300, sweepBatch: 2 });
    const ids = [await engine.createClient(), await engine.createClient(), await engine.createClient()];
    // One sweep tells its sink of all it expired in one go; the first report means the first sweep is done.
    await Promise.race(ids.map((id) => sink.waitDestroyed(id)));
    // It took two of the three (the next tick is 300 ms away).
    expect(sink.destroyedLog).toHaveLength(2);
    expect(await engine.clientCount()).toBe(1);
    const last = ids.find((id) => !sink.destroyedLog.some((d) => d.clientId === id)) as string;
    expect(await sink.waitDestroyed(last)).toBe('expired');
    expect(await engine.clientCount()).toBe(0);
  });

  it('a failed call names its operation; diagnostics get the same error', async () => {
    const { engine } = await make();
    await redis.set(engine.keys.client('broken'), 'not a hash');
    const seen: unknown[] = [];
    const onError = (m: unknown) => seen.push(m);
    diagnosticsChannel.subscribe('pushwire:engine:error', onError);
    try {
      // The client HASH is a string here: the ping script's HSET fails with WRONGTYPE.
      const err = await engine.ping('broken').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'EngineError', code: 'ENGINE_STORAGE' });
      expect((err as Error).message).toMatch(/^pushwire redis: ping failed: .*WRONGTYPE/);
      expect(seen).toEqual([{ operation: 'ping', error: err }]);
    } finally {
      diagnosticsChannel.unsubscribe('pushwire:engine:error', onError);
      await redis.del(engine.keys.client('broken'));
    }
  });
});
