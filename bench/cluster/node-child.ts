// One node of the cluster under test, one per process, on a plain Node http server on 127.0.0.1 port 0,
// Bayeux mounted at /bayeux: ours (@pushwire/server compiled, with the @pushwire/redis engine) or Faye's
// NodeAdapter with the faye-redis engine. Nodes of one run share one redis-server and one key prefix.
// Usage (spawned by the harness): node-child.ts <pushwire|faye> <redis port> <prefix>
import { createServer, type Server } from 'node:http';
import { closeHttp, listenLocal, type RunningServer, serveServer } from '../lib/server-child.js';

const PATH = '/bayeux';
const [impl, portArg, prefix = 'bench'] = process.argv.slice(2);
const redisPort = Number(portArg);
if (!Number.isInteger(redisPort) || redisPort <= 0) throw new Error(`bad redis port ${portArg}`);

async function startPushwire(): Promise<RunningServer> {
  const { createBayeuxServer } = await import('@pushwire/server');
  const { createRedisEngine } = await import('@pushwire/redis');
  const engine = await createRedisEngine({ url: `redis://127.0.0.1:${redisPort}`, prefix });
  // Same long-poll hold as the chat suite (25 s); everything else at its defaults.
  const bayeux = createBayeuxServer({ mount: PATH, timeout: 25_000, engine });
  const server = createServer();
  bayeux.attach(server);
  return {
    port: await listenLocal(server),
    close: async () => {
      await bayeux.close();
      await engine.close(); // the server does not close an engine it was given
      await closeHttp(server);
    },
  };
}

async function startFaye(): Promise<RunningServer> {
  // faye and faye-redis ship no types; the surface used is NodeAdapter({mount, timeout, engine}), attach
  // and close. faye-redis 0.2.0 is pinned to node-redis 3 by the root package.json `overrides` (it was
  // written for that callback API; a modern node-redis would break it).
  let fayeRedis: unknown;
  try {
    fayeRedis = ((await import('faye-redis')) as { default: unknown }).default;
  } catch (err) {
    throw new Error(`faye-redis is not installed (npm install): ${err instanceof Error ? err.message : err}`);
  }
  const faye = (await import('faye')) as unknown as {
    default: {
      NodeAdapter: new (o: {
        mount: string;
        timeout: number;
        engine: Record<string, unknown>;
      }) => { attach(s: Server): void; close(): void };
    };
  };
  const bayeux = new faye.default.NodeAdapter({
    mount: PATH,
    timeout: 25,
    engine: { type: fayeRedis, host: '127.0.0.1', port: redisPort, namespace: prefix },
  });
  const server = createServer();
  bayeux.attach(server);
  return {
    port: await listenLocal(server),
    close: () => {
      bayeux.close();
      return closeHttp(server);
    },
  };
}

const node = impl === 'pushwire' ? await startPushwire() : impl === 'faye' ? await startFaye() : null;
if (!node) throw new Error(`unknown cluster node ${impl}`);

serveServer(node, { path: PATH });
