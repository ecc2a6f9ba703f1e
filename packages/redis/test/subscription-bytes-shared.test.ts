// maxSubscriptionBytesPerClient with two servers on one Redis engine (no stickiness): the bound is on the
// client's subscriptions as the ENGINE holds them, so subscribing through another node does not reset it
// (a per-node count would let a client pin the bound once per node). Crossed by one, freed by an
// unsubscribe made through the other node.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message } from '@pushwire/bayeux';
import { type BayeuxServer, createBayeuxServer } from '@pushwire/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisEngine } from '../src/index.js';
import { testPrefix } from './redis-helpers.js';
import { RedisServer, redisServerAvailable } from './redis-server.js';

const available = redisServerAvailable();

interface Node {
  bayeux: BayeuxServer;
  http: Server;
  port: number;
}

async function post(node: Node, message: Partial<Message>): Promise<Message> {
  const res = await fetch(`http://127.0.0.1:${node.port}/bayeux`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify([message]),
  });
  return ((await res.json()) as Message[])[0] as Message;
}

// Names of 10 bytes: two fit in 20 bytes, a third (even of 2 bytes) passes it.
const A = '/a23456789';
const B = '/b23456789';
const C = '/c';

describe.runIf(available)('maxSubscriptionBytesPerClient across two servers on one Redis engine', () => {
  let redis: RedisServer;
  const nodes: Node[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      await n.bayeux.close();
      n.http.closeAllConnections();
      await new Promise<void>((resolve) => n.http.close(() => resolve()));
    }
  });
  afterAll(async () => {
    await redis?.kill();
  });

  async function node(prefix: string): Promise<Node> {
    const engine = await createRedisEngine({ url: redis.url, prefix });
    const bayeux = createBayeuxServer({ engine, maxSubscriptionBytesPerClient: 20, timeout: 0 });
    const http = createServer();
    bayeux.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const n = { bayeux, http, port: (http.address() as AddressInfo).port };
    nodes.push(n);
    return n;
  }

  it('subscriptions made through A count on B: one byte past the bound is refused on either node', async () => {
    const prefix = testPrefix();
    const a = await node(prefix);
    const b = await node(prefix);
    const hs = await post(a, {
      channel: '/meta/handshake',
      version: '1.0',
      supportedConnectionTypes: ['long-polling'],
    });
    const clientId = hs.clientId as string;
    expect((await post(a, { channel: '/meta/subscribe', clientId, subscription: A })).successful).toBe(true);
    expect((await post(b, { channel: '/meta/subscribe', clientId, subscription: B })).successful).toBe(true);
    for (const n of [a, b]) {
      expect(await post(n, { channel: '/meta/subscribe', clientId, subscription: C })).toMatchObject({
        successful: false,
        error: '403:bytes,20:subscriptions_exceeded',
      });
    }
    expect((await post(a, { channel: '/meta/unsubscribe', clientId, subscription: B })).successful).toBe(
      true,
    );
    expect((await post(b, { channel: '/meta/subscribe', clientId, subscription: C })).successful).toBe(true);
  });
});
