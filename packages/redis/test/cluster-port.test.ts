// The Cluster port against a real 3-master Redis Cluster (redis-cluster.ts): slots computed as the server
// computes them, batches split by slot with replies in order, a script spanning slots refused before it
// is sent (no CROSSSLOT ever reaches Redis), scripts loaded on each node on first use, pub/sub across nodes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterPort, Keys, keySlot, type RedisCommand } from '../src/index.js';
import { lua } from '../src/scripts.js';
import { RedisCluster, redisClusterAvailable } from './redis-cluster.js';
import { testPrefix } from './redis-helpers.js';

const available = redisClusterAvailable();

describe.runIf(available)('ClusterPort on a real Redis Cluster', () => {
  let cluster: RedisCluster;
  let port: ClusterPort;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
    port = new ClusterPort({ nodes: cluster.nodes });
  }, 60_000);
  afterAll(async () => {
    await port?.close();
    await cluster?.stop();
  });

  it('computes the slot the server computes (hash tags, braces in channel names, UTF-8)', async () => {
    const k = new Keys('pw');
    const keys = [
      'plain',
      k.client('abc123'),
      k.queue('abc123'),
      k.index('/chat/**'),
      k.presence('/a{b}c'),
      '{}empty-tag',
      'x{}{y}',
      '{only-open',
      'héllo-wörld-☃',
      '{user1000}.following',
    ];
    for (const key of keys) expect([key, keySlot(key)]).toEqual([key, await cluster.slotOf(key)]);
    expect(keySlot(k.client('abc123'))).toBe(keySlot(k.queue('abc123')));
  });

  it('splits a batch over every master and answers in the batch order', async () => {
    const p = testPrefix();
    const keys = Array.from({ length: 60 }, (_, i) => `${p}:k${i}`);
    const slots = new Set(keys.map(keySlot));
    expect(slots.size).toBeGreaterThan(10);
    const sets: RedisCommand[] = keys.map((key, i) => ['SET', key, `v${i}`]);
    expect(await port.batch(sets)).toEqual(keys.map(() => 'OK'));
    const gets: RedisCommand[] = keys.flatMap((key) => [['GET', key] as const, ['STRLEN', key] as const]);
    expect(await port.batch(gets)).toEqual(keys.flatMap((_, i) => [`v${i}`, `v${i}`.length]));
  });

  it('runs a script on the slot of its keys, loading it on each node the first time', async () => {
    const p = testPrefix();
    const script = lua('test-incr', `return redis.call('INCRBY', KEYS[1], ARGV[1])`);
    const keys = Array.from({ length: 30 }, (_, i) => `${p}:n${i}`);
    const calls: RedisCommand[] = keys.map((key) => ({ script, keys: [key], args: [2] }));
    expect(await port.batch(calls)).toEqual(keys.map(() => 2));
    expect(await port.batch(calls)).toEqual(keys.map(() => 4));
  });

  it('the first use of a script on a node keeps the order of batches issued at once (no NOSCRIPT retry)', async () => {
    const p = testPrefix();
    // A script no node has seen (its source is unique to this run).
    const script = lua('test-push', `-- ${p}\nreturn redis.call('RPUSH', KEYS[1], ARGV[1])`);
    const fresh = new ClusterPort({ nodes: cluster.nodes });
    try {
      const key = `${p}:list`;
      // Issued in order, spread out by round trips to another slot (as a publish's index read is): a
      // NOSCRIPT retry of an early one would land after a later one sent once the script was loaded.
      const other = Array.from({ length: 100 }, (_, i) => `${p}:o${i}`).find(
        (k) => keySlot(k) !== keySlot(key),
      );
      const pushes: Promise<unknown>[] = [];
      for (let i = 0; i < 30; i++) {
        pushes.push(fresh.batch([{ script, keys: [key], args: [i] }]));
        if (i % 3 === 0) await fresh.batch([['GET', other as string]]);
      }
      await Promise.all(pushes);
      const [items] = await fresh.batch([['LRANGE', key, 0, -1]]);
      expect(items).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
    } finally {
      await fresh.close();
    }
  });

  it('refuses a script whose keys span slots, without sending anything', async () => {
    const p = testPrefix();
    const script = lua('test-two', `redis.call('SET', KEYS[1], 1) return redis.call('SET', KEYS[2], 1)`);
    const [a, b] = [`${p}:a`, `${p}:b`];
    expect(keySlot(a)).not.toBe(keySlot(b));
    await expect(port.batch([['SET', `${p}:c`, 'x'], { script, keys: [a, b], args: [] }])).rejects.toThrow(
      /script test-two has keys in slots \d+ and \d+ \(CROSSSLOT\)/,
    );
    expect(
      await port.batch([
        ['EXISTS', `${p}:c`],
        ['EXISTS', a],
      ]),
    ).toEqual([0, 0]);
  });

  it('rejects with the first failed command of the batch, in batch order', async () => {
    const p = testPrefix();
    await port.batch([['SET', `${p}:s`, 'text']]);
    await expect(
      port.batch([
        ['GET', `${p}:s`],
        ['INCR', `${p}:s`],
        ['LPUSH', `${p}:s`, 'x'],
      ]),
    ).rejects.toThrow(/not an integer/);
  });

  it('delivers a PUBLISH made through any node to a subscriber', async () => {
    const p = testPrefix();
    const other = new ClusterPort({ nodes: [cluster.nodes[2] ?? cluster.nodes[0]] as never });
    try {
      const got: string[] = [];
      const channel = `${p}:w:node`;
      let resolve: () => void = () => undefined;
      const done = new Promise<void>((r) => {
        resolve = r;
      });
      await port.subscribe(channel, (m) => {
        got.push(m);
        if (got.length === 3) resolve();
      });
      await other.batch([
        ['PUBLISH', channel, 'one'],
        ['PUBLISH', channel, 'two'],
        ['PUBLISH', channel, 'three'],
      ]);
      await done;
      expect(got).toEqual(['one', 'two', 'three']);
    } finally {
      await other.close();
    }
  });
});

describe.skipIf(available)('ClusterPort on a real Redis Cluster', () => {
  it('needs redis-server and redis-cli (see the message above)', () => undefined);
});
