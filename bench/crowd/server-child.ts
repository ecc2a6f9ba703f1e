// One crowd server process: @pushwire/server with the @pushwire/redis engine on the bench's own Redis
// (`bayeux`), or the @pushwire/websocket server alone (`raw`), on 127.0.0.1 port 0. Reports its memory
// after forced GCs and its open-files limit; `raw` broadcasts one message on command.
// Usage (spawned by suite.ts): server-child.ts bayeux <redisUrl> <prefix> <maxConnections> <maxSessions>
//                              server-child.ts raw <maxConnections>
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { measureMemory, serveParent } from '../lib/proc.js';
import { closeHttp, listenLocal } from '../lib/server-child.js';
import { monoMs } from '../lib/stats.js';
import { parseOpenFilesLimit } from './plan.js';

export const PATH = '/bayeux';
/**
 * advice.timeout of the held /meta/connect: longer than any crowd run, so an idle client really is idle
 * (with the default 30 s, 100,000 clients would re-connect 3,300 times a second: a load test, not a crowd).
 */
const HOLD_MS = 60 * 60_000;
/**
 * maxInterval, given to the server AND to the engine (a server passes its own only to the memory engine
 * it makes; an engine it is given keeps its own, and the server refuses one with a shorter maxInterval;
 * the Redis engine's key TTL is max(60 s, 6 x its maxInterval)): an hour by default, BENCH_CROWD_MAX_INTERVAL (ms) to change it. An hour keeps the
 * keep-alive of held connects (every maxInterval / 2) and the engine's sweeper out of an idle crowd; at the
 * default 10 s the 100,000 ramp stalled at 13,800 clients at load average 20 (bench/README.md, crowd).
 */
const MAX_INTERVAL_MS = Number(process.env.BENCH_CROWD_MAX_INTERVAL ?? 60 * 60_000);

interface Running {
  port: number;
  connections(): number;
  broadcast?(data: Buffer): void;
  close(): Promise<void>;
}

async function startBayeux(
  url: string,
  prefix: string,
  maxConnections: number,
  maxSessions: number,
): Promise<Running> {
  const { createBayeuxServer } = await import('@pushwire/server');
  const { createRedisEngine } = await import('@pushwire/redis');
  const engine = await createRedisEngine({ url, prefix, maxInterval: MAX_INTERVAL_MS });
  const bayeux = createBayeuxServer({
    engine,
    mount: PATH,
    timeout: HOLD_MS,
    maxInterval: MAX_INTERVAL_MS,
    // The admission bounds sized for the crowd (their defaults guard a public node: 10,000 connections,
    // 100,000 sessions over the cluster); the generator's sources are spread so the per-address ones hold.
    maxConnections,
    maxSessions,
  });
  const http = createServer();
  bayeux.attach(http);
  return {
    port: await listenLocal(http, 4096),
    connections: () => bayeux.connections,
    close: async () => {
      await bayeux.close();
      await engine.close();
      await closeHttp(http);
    },
  };
}

async function startRaw(maxConnections: number): Promise<Running> {
  const { WebSocketServer } = await import('@pushwire/websocket');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxConnections, backlog: 4096 });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const addr = wss.address() as AddressInfo;
  return {
    port: addr.port,
    connections: () => wss.clients.size,
    broadcast: (data) => wss.broadcast(data),
    close: () => wss.close(),
  };
}

const [mode, ...rest] = process.argv.slice(2);
const server =
  mode === 'bayeux'
    ? await startBayeux(rest[0] as string, rest[1] as string, Number(rest[2]), Number(rest[3]))
    : mode === 'raw'
      ? await startRaw(Number(rest[0]))
      : null;
if (!server) throw new Error(`unknown mode ${mode}`);
const running = server;

serveParent(
  {
    mem: () => ({ ...measureMemory(), connections: running.connections() }),
    /** Raw mode: one binary message to every connection; t0 is taken just before (monotonic ms). */
    broadcast: () => {
      if (!running.broadcast)
        throw new Error('broadcast is raw mode only (bayeux publishes through a client)');
      const t0 = monoMs();
      running.broadcast(Buffer.from('crowd'));
      return { t0 };
    },
    close: async () => {
      await running.close();
      return {};
    },
  },
  { port: running.port, fdLimit: parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8')) },
);
