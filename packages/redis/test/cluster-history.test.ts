// History and presence on three `pushwire serve --engine redis --history --presence` processes behind the
// round-robin proxy (no stickiness), on a private redis-server, with our client on every transport:
// - two publishers whose requests land on different nodes publish to one history channel at once: every
//   subscriber gets every message once, all in the same (offset) order (our client drops anything at or
//   before its last position, so an out-of-order queue would show as a loss);
// - presence answers are the same whichever node answers;
// - kill -9 of the node holding a client's connection (the client cannot reach another): the client
//   leaves within a bound, told by a surviving node to the watchers of `/presence<channel>`.

import { Client } from '@pushwire/client';
import { memberId } from '@pushwire/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Node, startNode, waitFor } from './cluster-node.js';
import { RedisServer, redisServerAvailable } from './redis-server.js';
import { RoundRobinProxy } from './round-robin-proxy.js';

const available = redisServerAvailable();
const TRANSPORTS = ['websocket', 'long-polling', 'callback-polling'] as const;
const OPTIONS = { backoffIncrement: 100, maxBackoff: 500 };

interface PresenceEvent {
  action: 'join' | 'leave';
  member: { id: string };
}

describe.runIf(available)('history and presence on three nodes behind a round-robin proxy', () => {
  let redis: RedisServer;
  let proxy: RoundRobinProxy;
  const nodes: Node[] = [];
  const clients: Client[] = [];
  let url: string;

  function client(at: string, transport: (typeof TRANSPORTS)[number]): Client {
    const c = new Client(at, { transports: [transport], ...OPTIONS });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    const flags = ['--history', '/room/**=1000', '--presence', '/room/**'];
    nodes.push(...(await Promise.all([0, 1, 2].map(() => startNode(redis.url, 'hist', flags)))));
    proxy = await RoundRobinProxy.start(nodes.map((n) => n.port));
    url = `http://127.0.0.1:${proxy.port}/bayeux`;
  }, 60_000);

  afterAll(async () => {
    for (const c of clients)
      await Promise.race([c.disconnect(), new Promise((res) => setTimeout(res, 1000))]).catch(
        () => undefined,
      );
    await proxy?.close();
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
    await redis?.kill();
  });

  it('publishes through several nodes at once reach every subscriber once each, in one order', async () => {
    const got = new Map<string, number[]>();
    await Promise.all(
      TRANSPORTS.map(async (t) => {
        const list: number[] = [];
        got.set(t, list);
        await client(url, t).subscribe('/room/order', (data: unknown) => {
          list.push((data as { n: number }).n);
        });
      }),
    );
    const publishers = [client(url, 'long-polling'), client(url, 'long-polling')];
    const n = 60;
    // Six rounds of ten concurrent publishes: each round is at least one request per publisher, so the
    // round-robin proxy spreads them over its nodes whatever the clients batch within a round.
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) => {
          const i = round * 10 + j;
          return publishers[i % 2]?.publish('/room/order', { n: i });
        }),
      );
    }
    // The publishes' requests went to several nodes (round robin, no stickiness).
    const publishedVia = new Set(proxy.log.filter((r) => r.body.includes('/room/order')).map((r) => r.node));
    expect(publishedVia.size).toBeGreaterThanOrEqual(2);
    await waitFor(
      () => [...got.values()].every((l) => l.length >= n),
      () => [...got].map(([t, l]) => `${t}: ${l.length}`).join(', '),
      20_000,
    );
    const [first, ...rest] = [...got.values()];
    expect(new Set(first).size).toBe(n);
    for (const l of rest) expect(l).toEqual(first);
  }, 40_000);

  it('presence answers are the same from every node', async () => {
    const members = await Promise.all(
      TRANSPORTS.map(async (t) => {
        const c = client(url, t);
        await c.subscribe('/room/lobby', () => undefined);
        return memberId(c.clientId as string); // presence shows public ids, never client ids
      }),
    );
    const asker = clients.at(-1) as Client;
    // Three queries, round robin: each is answered by another node.
    for (let i = 0; i < 3; i++) {
      const answer = await asker.presence('/room/lobby');
      expect(answer.count).toBe(3);
      expect(answer.members?.map((m) => m.id).sort()).toEqual([...members].sort());
    }
  }, 30_000);

  it("kill -9 of a client's node: a surviving node tells its leave within a bound", async () => {
    const events: PresenceEvent[] = [];
    const watcher = client(url, 'long-polling');
    await watcher.subscribe('/presence/room/crash', (e: unknown) => {
      events.push(e as PresenceEvent);
    });
    const victimNode = nodes[2] as Node;
    // Connected to that node directly: when it dies, the client cannot get through elsewhere.
    const victim = client(`http://127.0.0.1:${victimNode.port}/bayeux`, 'websocket');
    await victim.subscribe('/room/crash', () => undefined);
    const id = memberId(victim.clientId as string);
    await waitFor(
      () => events.some((e) => e.action === 'join' && e.member.id === id),
      () => `no join of ${id}: ${JSON.stringify(events)}`,
      10_000,
    );
    victimNode.child.kill('SIGKILL');
    // maxInterval 5 s, nodeTtl 3 s, sweepInterval 1 s: well inside 20 s.
    await waitFor(
      () => events.some((e) => e.action === 'leave' && e.member.id === id),
      () => `no leave of ${id}: ${JSON.stringify(events)}`,
      20_000,
    );
    expect(events.filter((e) => e.action === 'leave' && e.member.id === id)).toHaveLength(1);
    const answer = await watcher.presence('/room/crash');
    expect(answer.members?.map((m) => m.id) ?? []).not.toContain(id);
  }, 40_000);
});
