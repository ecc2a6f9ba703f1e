// `pushwire serve --engine redis-cluster://HOST:PORT,HOST:PORT` (issue 12 item 1): two server processes on
// the private 3-master Cluster (same --redis-prefix) are one cluster over real sockets: a subscriber on one
// node gets what a client of the other publishes, on websocket and long-polling. A malformed node list is a
// usage error (exit 2) before anything connects.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@pushwire/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Node, startNode, waitFor } from './cluster-node.js';
import { RedisCluster, redisClusterAvailable } from './redis-cluster.js';
import { testPrefix } from './redis-helpers.js';

const available = redisClusterAvailable();
const bin = fileURLToPath(new URL('../../pushwire/bin/pushwire.js', import.meta.url));

function run(args: string[]): Promise<[number | null, string]> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, PUSHWIRE_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve([code, out])));
}

describe('pushwire serve --engine redis-cluster:// (usage)', () => {
  it('--help documents it; a malformed node list exits 2 naming the part', async () => {
    const [code, help] = await run(['serve', '--help']);
    expect(code).toBe(0);
    expect(help).toContain('redis-cluster://HOST:PORT,HOST:PORT');
    expect(await run(['serve', '--port', '0', '--engine', 'redis-cluster://a:1,b'])).toEqual([
      2,
      expect.stringContaining(
        '--engine redis-cluster://: expected HOST:PORT[,HOST:PORT...] (IPv6 as [ADDR]:PORT), got "b"',
      ),
    ]);
  }, 30_000);
});

describe.runIf(available)('pushwire serve --engine redis-cluster:// on a 3-master Cluster', () => {
  let cluster: RedisCluster;
  const nodes: Node[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    // One seed each: the rest of the Cluster is discovered.
    const prefix = testPrefix();
    for (const seed of cluster.nodes.slice(0, 2))
      nodes.push(await startNode(`redis-cluster://${seed.host}:${seed.port}`, prefix));
  }, 60_000);
  afterAll(async () => {
    for (const c of clients)
      await Promise.race([c.disconnect(), new Promise((r) => setTimeout(r, 1000))]).catch(() => undefined);
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
    await cluster?.stop();
  });

  it('a subscriber on node A gets what a client of node B publishes, both ways, on two transports', async () => {
    const [a, b] = nodes as [Node, Node];
    const at = (n: Node, transport: 'websocket' | 'long-polling') => {
      const c = new Client(`http://127.0.0.1:${n.port}/bayeux`, { transports: [transport] });
      clients.push(c);
      return c;
    };
    const onA = at(a, 'websocket');
    const onB = at(b, 'long-polling');
    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    await onA.subscribe('/room/x', (d: unknown) => void gotA.push(d));
    await onB.subscribe('/room/x', (d: unknown) => void gotB.push(d));
    await onB.publish('/room/x', { from: 'b' });
    await onA.publish('/room/x', { from: 'a' });
    await waitFor(
      () => gotA.length === 2 && gotB.length === 2,
      () => `A ${JSON.stringify(gotA)}, B ${JSON.stringify(gotB)}`,
      15_000,
    );
    expect(gotA).toEqual([{ from: 'b' }, { from: 'a' }]);
    expect(gotB).toEqual([{ from: 'b' }, { from: 'a' }]);
  }, 60_000);
});

describe.skipIf(available)('pushwire serve --engine redis-cluster:// on a 3-master Cluster', () => {
  it('needs redis-server and redis-cli (see the message above)', () => undefined);
});
