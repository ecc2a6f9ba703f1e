// Redis commands and round trips per delivered message (issues 12 and 13), counted exactly on a private
// redis-server (INFO commandstats counts the calls a Lua script makes too, and nobody else's traffic is in
// it): faye-redis spends about 7 commands per delivery; a publish to a room of ten and each recipient's
// take (as a socket flush does it) must stay below that, and a node that holds no recipient is not woken.
// The sweeper is kept out of the counts (sweepInterval of an hour). Any change to these figures is a
// change of the engine's cost: update them on purpose, with the reason, or not at all.

import type { DeliverySink } from '@pushwire/server';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisEngine,
  IoredisPort,
  type RedisCommand,
  type RedisEngine,
  type RedisPort,
  type RedisReply,
} from '../src/index.js';
import { SHARE_MIN_BYTES } from '../src/keys.js';
import { FANOUT_BATCH } from '../src/queues.js';
import { testPrefix } from './redis-helpers.js';
import { RedisServer, redisServerAvailable } from './redis-server.js';

const available = redisServerAvailable();

/** Counts the round trips (batches) the engine sends; everything else goes to the real port. */
class CountingPort implements RedisPort {
  batches = 0;
  /** Every reply, as JSON text, in order (to see how much a reply carries). */
  readonly replies: string[] = [];
  readonly #inner: RedisPort;
  constructor(inner: RedisPort) {
    this.#inner = inner;
  }
  async batch(commands: readonly RedisCommand[]): Promise<RedisReply[]> {
    this.batches++;
    const replies = await this.#inner.batch(commands);
    this.replies.push(JSON.stringify(replies));
    return replies;
  }
  subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    return this.#inner.subscribe(channel, listener);
  }
  onEvent(listener: Parameters<RedisPort['onEvent']>[0]): void {
    this.#inner.onEvent(listener);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** A sink that resolves `woken(n)` once it has heard n wakes (pub/sub wakes arrive asynchronously). */
class WakeSink implements DeliverySink {
  readonly wakes: string[] = [];
  #waiter: { n: number; resolve: () => void } | undefined;
  wake(clientId: string): void {
    this.wakes.push(clientId);
    if (this.#waiter !== undefined && this.wakes.length >= this.#waiter.n) this.#waiter.resolve();
  }
  destroyed(): void {}
  woken(n: number): Promise<void> {
    if (this.wakes.length >= n) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiter = { n, resolve };
    });
  }
}

describe.runIf(available)('Redis commands per delivery', () => {
  let server: RedisServer;
  let admin: Redis;
  const engines: RedisEngine[] = [];
  const ports: CountingPort[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
    for (const p of ports.splice(0)) await p.close();
  });
  afterAll(async () => {
    admin.disconnect();
    await server.kill();
  });

  async function node(prefix: string) {
    const port = new CountingPort(new IoredisPort({ url: server.url }));
    ports.push(port);
    const engine = await createRedisEngine({ redis: port, prefix, sweepInterval: 3_600_000 });
    engines.push(engine);
    const sink = new WakeSink();
    engine.setSink(sink);
    return { engine, sink, port };
  }

  /** Calls per command so far (INFO commandstats), the INFO calls themselves left out. */
  async function calls(): Promise<Map<string, number>> {
    const text = await admin.info('commandstats');
    const out = new Map<string, number>();
    for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (m[1] !== 'info') out.set(m[1] as string, Number(m[2]));
    }
    return out;
  }

  /** What `work` made Redis run, per command, and the total under '*'. */
  async function counted(work: () => Promise<unknown>): Promise<Record<string, number>> {
    const before = await calls();
    await work();
    const after = await calls();
    const out: Record<string, number> = {};
    let total = 0;
    for (const [name, n] of after) {
      const d = n - (before.get(name) ?? 0);
      if (d > 0) {
        out[name] = d;
        total += d;
      }
    }
    out['*'] = total;
    return out;
  }

  async function room(engine: RedisEngine, n: number, warm = true): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = await engine.createClient();
      await engine.ping(id);
      await engine.subscribe(id, '/room');
      ids.push(id);
    }
    if (!warm) return ids;
    // Warm-up: the first use of each script on a fresh server sends it in full (NOSCRIPT), once.
    await engine.publish({ channel: '/room', data: 0 }, '"warm-up"');
    await engine.publish({ channel: '/room', data: 0 }, JSON.stringify('w'.repeat(SHARE_MIN_BYTES)));
    for (const id of ids) await engine.takeQueueWithMore(id, 1024 * 1024);
    return ids;
  }

  it('a small message to a room of 10: 5.2 commands and 1.2 round trips per delivery (faye-redis: ~7)', async () => {
    const { engine, port } = await node(testPrefix());
    const ids = await room(engine, 10);
    const text = JSON.stringify({ channel: '/room', data: { text: 'hello, room' }, id: '1' });
    expect(Buffer.byteLength(text)).toBeLessThan(SHARE_MIN_BYTES);
    const trips = port.batches;
    const cost = await counted(async () => {
      expect(await engine.publish({ channel: '/room', data: 1 }, text)).toBe(10);
      // What a socket flush does per woken client: one bounded take that also says whether more waits.
      for (const id of ids) {
        expect(await engine.takeQueueWithMore(id, 1024 * 1024)).toEqual({ messages: [text], more: false });
      }
    });
    // publish: one SUNION of the index sets of expand('/room'), then ONE ENQUEUE_MANY (EVALSHA) for the room,
    // which runs HMGET, RPUSH, HSET per recipient (issue 12: it was one EVALSHA per recipient, 6.1 a
    // delivery); take: EVALSHA + one LPOP (these takes are awaited one by one: each is its own call). Was
    // 14+ a delivery before issue 13 (EXISTS, LLEN, HGET x2, PEXPIRE, LINDEX x2, HINCRBY, a SET and a GET
    // of a shared body, and a second take to learn the queue was empty).
    expect(cost).toEqual({ sunion: 1, evalsha: 11, hmget: 10, rpush: 10, hset: 10, lpop: 10, '*': 52 });
    // Two round trips per publish (index reads, then queueing), one per take.
    expect(port.batches - trips).toBe(2 + 10);
  });

  it('a large message is stored once for the room: one SET per publish, one GET per take', async () => {
    const { engine, port } = await node(testPrefix());
    const ids = await room(engine, 10);
    const text = JSON.stringify({ channel: '/room', data: 'x'.repeat(SHARE_MIN_BYTES) });
    const trips = port.batches;
    const cost = await counted(async () => {
      await engine.publish({ channel: '/room', data: 1 }, text);
      for (const id of ids) {
        expect(await engine.takeQueueWithMore(id, 1024 * 1024)).toEqual({ messages: [text], more: false });
      }
    });
    expect(cost).toEqual({
      sunion: 1,
      set: 1,
      evalsha: 11,
      hmget: 10,
      rpush: 10,
      hset: 10,
      lpop: 10,
      get: 10,
      '*': 63,
    });
    expect(port.batches - trips).toBe(2 + 2 * 10);
  });

  // Issue 12: one publish to a crowd, then every recipient's take asked for in the same turn, as the
  // server's socket flushes do it for the sockets a fan-out woke. More recipients than one script call
  // takes (FANOUT_BATCH), so the groups are seen to split and to keep every recipient.
  const CROWD = 2 * FANOUT_BATCH + 7;
  const CALLS = Math.ceil(CROWD / FANOUT_BATCH);

  it(`a fan-out to ${CROWD}: ${CALLS} script calls to queue, ${CALLS} to take, 3 round trips in all`, async () => {
    const { engine, port } = await node(testPrefix());
    const ids = await room(engine, CROWD);
    const text = JSON.stringify({ channel: '/room', data: 'crowd' });
    const trips = port.batches;
    const cost = await counted(async () => {
      expect(await engine.publish({ channel: '/room', data: 1 }, text)).toBe(CROWD);
      const takes = await Promise.all(ids.map((id) => engine.takeQueueWithMore(id, 1024 * 1024)));
      for (const take of takes) expect(take).toEqual({ messages: [text], more: false });
    });
    // The per-recipient calls inside the scripts are ENQUEUE's and TAKE's (HMGET, RPUSH, HSET; LPOP).
    expect(cost).toEqual({
      sunion: 1,
      evalsha: 2 * CALLS,
      hmget: CROWD,
      rpush: CROWD,
      hset: CROWD,
      lpop: CROWD,
      '*': 1 + 2 * CALLS + 4 * CROWD,
    });
    // Index read, queueing, then ONE round trip for all the takes (was one per recipient).
    expect(port.batches - trips).toBe(3);
    // The replies name the recipients' node and carry the message once per script call, not once per
    // recipient (the others answer 0: "the same as the client before").
    const [queueing, taking] = port.replies.slice(-2) as [string, string];
    expect(queueing.split(engine.nodeId).length - 1).toBe(CALLS);
    expect(taking.split(JSON.stringify(`=${text}`)).length - 1).toBe(CALLS);
  });

  it('a large message to a crowd is read once for all the takes of a turn: one GET', async () => {
    const { engine, port } = await node(testPrefix());
    const ids = await room(engine, CROWD);
    const text = JSON.stringify({ channel: '/room', data: 'x'.repeat(SHARE_MIN_BYTES) });
    const trips = port.batches;
    let takes: { messages: string[]; more: boolean }[] = [];
    const cost = await counted(async () => {
      await engine.publish({ channel: '/room', data: 1 }, text);
      takes = await Promise.all(ids.map((id) => engine.takeQueueWithMore(id, 1024 * 1024)));
    });
    expect(takes.map((t) => t.messages)).toEqual(ids.map(() => [text]));
    expect(cost.set).toBe(1);
    expect(cost.get).toBe(1); // was one per recipient
    expect(port.batches - trips).toBe(4); // index read, queueing, the takes, the body
  });

  it('takes of one turn with different budgets and journals each get their own', async () => {
    const { engine } = await node(testPrefix());
    const [a, b, c] = await room(engine, 3);
    const texts = ['"m1"', '"m2"', '"m3"'];
    for (const t of texts) await engine.publish({ channel: '/room', data: 1 }, t);
    // One turn: a takes one message at a time (budget 1 byte), b everything into a journal, c all.
    const [ta, tb, tc] = await Promise.all([
      engine.takeQueueWithMore(a as string, 1),
      engine.takeQueueWithMore(b as string, undefined, 'j'),
      engine.takeQueue(c as string),
    ]);
    expect(ta).toEqual({ messages: ['"m1"'], more: true });
    expect(tb).toEqual({ messages: texts, more: false });
    expect(tc).toEqual(texts);
    expect(await engine.readJournal(b as string, 'j')).toEqual(texts);
    expect(await engine.readJournal(a as string, 'j')).toEqual([]);
    expect(await engine.takeQueue(a as string)).toEqual(['"m2"', '"m3"']);
  });

  it('a connect (ping) costs 7 commands in one round trip', async () => {
    const { engine, port } = await node(testPrefix());
    const [id] = await room(engine, 1);
    const trips = port.batches;
    const cost = await counted(() => engine.ping(id as string));
    expect(cost).toEqual({ evalsha: 1, pexpire: 4, hset: 1, zadd: 1, '*': 7 });
    expect(port.batches - trips).toBe(1);
  });

  it('wakes only the nodes that hold a recipient, one message each; none when all are local', async () => {
    const prefix = testPrefix();
    const a = await node(prefix);
    const b = await node(prefix);
    const c = await node(prefix);
    // No warm-up publishes here: they would wake these sinks too (PUBLISH counts need none).
    const onA = await room(a.engine, 3, false);
    const onB = await room(b.engine, 2, false);
    const text = JSON.stringify({ channel: '/room', data: 1 });
    const fromC = await counted(async () => {
      expect(await c.engine.publish({ channel: '/room', data: 1 }, text)).toBe(5);
      await Promise.all([a.sink.woken(3), b.sink.woken(2)]);
    });
    expect(fromC.publish).toBe(2); // A and B, each once; C holds nobody
    expect(c.sink.wakes).toEqual([]);
    expect(a.sink.wakes.sort()).toEqual([...onA].sort());
    expect(b.sink.wakes.sort()).toEqual([...onB].sort());
    // Recipients only on the publishing node: woken in-process, no pub/sub message at all.
    await b.engine.unsubscribe(onB[0] as string, '/room');
    await b.engine.unsubscribe(onB[1] as string, '/room');
    const fromA = await counted(() => a.engine.publish({ channel: '/room', data: 2 }, text));
    expect(fromA.publish).toBeUndefined();
    expect(a.sink.wakes).toHaveLength(6);
    expect(b.sink.wakes).toHaveLength(2);
  });
});
