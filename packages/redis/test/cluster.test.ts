// Three `pushwire serve --engine redis://...` processes behind a round-robin proxy with no stickiness,
// on a private redis-server: clients on every transport (ours over websocket, long-polling and
// callback-polling; CometD's over websocket and long-polling), all with the ack extension.
// - a long-polling client whose requests land on different nodes keeps its session and its messages;
// - kill -9 of a node mid-stream: every client still gets every message (at-least-once, de-duplicated);
// - Redis killed and restarted (sessions lost): clients re-handshake, re-subscribe, and carry on.

import { ackExtension, Client } from '@pushwire/client';
import { AckExtension, CometD } from 'cometd';
import { adapt } from 'cometd-nodejs-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, redisServerAvailable } from './redis-server.js';

const available = redisServerAvailable();

import { type Node, startNode, waitFor } from './cluster-node.js';
import { RoundRobinProxy } from './round-robin-proxy.js';

/** A receiver: the `n` of every message it got (duplicates counted once, as the ack extension allows). */
interface Receiver {
  name: string;
  got: Set<number>;
  close(): Promise<void>;
  clientId(): string | null;
}

function ours(url: string, transport: 'websocket' | 'long-polling' | 'callback-polling'): Promise<Receiver> {
  const client = new Client(url, { transports: [transport], backoffIncrement: 100, maxBackoff: 500 });
  client.addExtension(ackExtension());
  const got = new Set<number>();
  const sub = client.subscribe('/stream', (data: unknown) => {
    got.add((data as { n: number }).n);
  });
  return Promise.resolve(sub).then(() => ({
    name: `ours ${transport}`,
    got,
    close: () => client.disconnect(),
    clientId: () => client.clientId,
  }));
}

function cometd(url: string, transport: 'websocket' | 'long-polling'): Promise<Receiver> {
  const c = new CometD();
  c.configure({ url, logLevel: 'warn', backoffIncrement: 100, maxBackoff: 500 });
  if (transport === 'long-polling') c.unregisterTransport('websocket');
  c.registerExtension('ack', new AckExtension());
  const got = new Set<number>();
  const subscribe = () =>
    c.subscribe('/stream', (m) => {
      got.add((m.data as { n: number }).n);
    });
  // CometD does not re-subscribe after a re-handshake by itself: its docs say to do it on /meta/handshake.
  c.addListener('/meta/handshake', (m) => {
    if (m.successful === true) c.batch(subscribe);
  });
  return new Promise((resolve, reject) => {
    c.handshake((reply) => {
      if (reply.successful !== true) reject(new Error(`cometd handshake failed: ${JSON.stringify(reply)}`));
    });
    const check = setInterval(() => {
      if (c.getTransport()?.type === transport && !c.isDisconnected()) {
        clearInterval(check);
        resolve({
          name: `cometd ${transport}`,
          got,
          close: async () => {
            await new Promise<void>((r) => c.disconnect(() => r()));
          },
          clientId: () => c.getClientId() ?? null,
        });
      }
    }, 20);
  });
}

describe.runIf(available)('three nodes on one Redis behind a round-robin proxy', () => {
  let redis: RedisServer;
  let proxy: RoundRobinProxy;
  const nodes: Node[] = [];
  const receivers: Receiver[] = [];
  let publisher: Client;
  let url: string;

  beforeAll(async () => {
    adapt();
    redis = await RedisServer.start();
    nodes.push(...(await Promise.all([0, 1, 2].map(() => startNode(redis.url, 'cluster')))));
    proxy = await RoundRobinProxy.start(nodes.map((n) => n.port));
    url = `http://127.0.0.1:${proxy.port}/bayeux`;
    receivers.push(
      ...(await Promise.all([
        ours(url, 'websocket'),
        ours(url, 'long-polling'),
        ours(url, 'callback-polling'),
        cometd(url, 'long-polling'),
        cometd(url, 'websocket'),
      ])),
    );
    publisher = new Client(url, { transports: ['long-polling'], backoffIncrement: 100, maxBackoff: 500 });
  }, 60_000);

  afterAll(async () => {
    for (const r of receivers)
      await Promise.race([r.close(), new Promise((res) => setTimeout(res, 1000))]).catch(() => undefined);
    await Promise.race([publisher?.disconnect(), new Promise((res) => setTimeout(res, 1000))]).catch(
      () => undefined,
    );
    await proxy?.close();
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
    await redis?.kill();
  });

  /** Publishes {n} until one publish of it succeeded (a node may die under a request). */
  async function publish(n: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await publisher.publish('/stream', { n });
        return;
      } catch (err) {
        if (attempt > 100) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  function missing(range: number[]): string {
    return receivers
      .map((r) => `${r.name}: missing ${range.filter((n) => !r.got.has(n)).join(',') || 'none'}`)
      .join('; ');
  }

  it('any node answers any client: a long-polling client is served by several nodes and loses nothing', async () => {
    const range = Array.from({ length: 20 }, (_, i) => i);
    for (const n of range) await publish(n);
    await waitFor(
      () => receivers.every((r) => range.every((n) => r.got.has(n))),
      () => missing(range),
      15_000,
    );
    const longPolling = receivers[1]?.clientId();
    expect(longPolling).toBeTruthy();
    const servedBy = new Set(proxy.log.filter((r) => r.body.includes(`"${longPolling}"`)).map((r) => r.node));
    expect(servedBy.size).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('kill -9 of a node mid-stream: every ack client gets every message', async () => {
    const range = Array.from({ length: 40 }, (_, i) => 100 + i);
    for (const n of range) {
      await publish(n);
      if (n === 115) nodes[0]?.child.kill('SIGKILL');
    }
    await waitFor(
      () => receivers.every((r) => range.every((n) => r.got.has(n))),
      () => missing(range),
      30_000,
    );
  }, 45_000);

  it('Redis killed and restarted: the cluster recovers (clients re-handshake and re-subscribe)', async () => {
    await redis.kill();
    await redis.restart();
    // Sessions died with Redis: until every client has re-subscribed, probes are published.
    let probe = 10_000;
    await waitFor(
      () => {
        void publish(probe++).catch(() => undefined);
        return receivers.every((r) => [...r.got].some((n) => n >= 10_000));
      },
      () =>
        `not every client recovered: ${receivers.map((r) => `${r.name}=${[...r.got].some((n) => n >= 10_000)}`).join(', ')}`,
      30_000,
    );
    const range = Array.from({ length: 10 }, (_, i) => 20_000 + i);
    for (const n of range) await publish(n);
    await waitFor(
      () => receivers.every((r) => range.every((n) => r.got.has(n))),
      () => missing(range),
      15_000,
    );
  }, 60_000);
});
