// Redis failures are surfaced (EngineError ENGINE_STORAGE + `pushwire:engine:error`), never swallowed,
// and the engine recovers after a Redis restart: against a private redis-server child we kill -9.

import diagnosticsChannel from 'node:diagnostics_channel';
import { EngineError } from '@pushwire/server';
import { RecordingSink } from '@pushwire/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisEngine, type RedisEngine } from '../src/index.js';
import { RedisServer, redisServerAvailable } from './redis-server.js';

const available = redisServerAvailable();

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.runIf(available)('redis engine: Redis goes away and comes back', () => {
  let redis: RedisServer;
  const engines: RedisEngine[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    for (const e of engines) await e.close().catch(() => undefined);
    await redis.kill();
  });

  it('rejects with ENGINE_STORAGE while down, reports it, and works again after a restart', async () => {
    const errors: unknown[] = [];
    const states: string[] = [];
    const onError = (m: unknown) => errors.push(m);
    const onState = (m: unknown) => states.push((m as { state: string }).state);
    diagnosticsChannel.subscribe('pushwire:engine:error', onError);
    diagnosticsChannel.subscribe('pushwire:engine:connection', onState);
    try {
      const opts = { url: redis.url, prefix: 'outage', maxRetriesPerRequest: 1 };
      const a = await createRedisEngine(opts);
      const b = await createRedisEngine(opts);
      engines.push(a, b);
      const sinkA = new RecordingSink();
      a.setSink(sinkA);
      b.setSink(new RecordingSink());
      const before = await a.createClient();

      await redis.kill();
      const err = await a.createClient().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).code).toBe('ENGINE_STORAGE');
      expect((err as EngineError).message).toMatch(/^pushwire redis: createClient failed: /);
      expect(errors).toContainEqual({ operation: 'createClient', error: err });
      expect(states).toContain('reconnecting');

      await redis.restart();
      // The connection comes back by itself; the scripts are gone (NOSCRIPT) and get reloaded.
      await until(async () => {
        try {
          await a.clientCount();
          return true;
        } catch {
          return false;
        }
      }, 'the engine to reconnect');
      expect(states).toContain('ready');
      // The sessions died with that Redis (no persistence): the client is unknown and re-handshakes.
      expect(await a.clientExists(before)).toBe(false);
      const id = await a.createClient();
      expect((await a.subscribe(id, '/back')).ok).toBe(true);
      // Pub/sub is re-subscribed: a publish on B wakes A's client again.
      expect(await b.publish({ channel: '/back', data: 1 }, 'again')).toBe(1);
      await until(() => sinkA.wakeCount(id) === 1, "A's wake after the restart");
      expect(await a.takeQueue(id)).toEqual(['again']);
    } finally {
      diagnosticsChannel.unsubscribe('pushwire:engine:error', onError);
      diagnosticsChannel.unsubscribe('pushwire:engine:connection', onState);
    }
  });

  it('sweeps that fail are reported to onError, and the sweeper keeps running', async () => {
    const failures: Error[] = [];
    const e = await createRedisEngine({
      url: redis.url,
      prefix: 'sweepfail',
      maxInterval: 50,
      sweepInterval: 10,
      maxRetriesPerRequest: 0,
      onError: (err) => failures.push(err),
    });
    engines.push(e);
    const sink = new RecordingSink();
    e.setSink(sink);
    await redis.kill();
    await until(() => failures.length > 0, 'a reported sweep failure');
    expect(failures[0]).toBeInstanceOf(EngineError);
    expect((failures[0] as EngineError).code).toBe('ENGINE_STORAGE');
    await redis.restart();
    await until(async () => {
      try {
        await e.createClient();
        return true;
      } catch {
        return false;
      }
    }, 'reconnect');
    const id = await e.createClient();
    expect(await sink.waitDestroyed(id)).toBe('expired');
  });
});
