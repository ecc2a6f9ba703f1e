// The Bayeux server under test, one per process: Faye's NodeAdapter (the peer) or @pushwire/server (ours),
// both mounted at /bayeux on a plain Node http server on 127.0.0.1, port 0.
// Usage (spawned by the harness): server-child.ts <faye|pushwire|pushwire-history> (history on the rooms)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { measureMemory, serveParent } from '../lib/proc.js';

const PATH = '/bayeux';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function startFaye(): Promise<{ port: number; close: () => Promise<void> }> {
  // faye ships no types; the NodeAdapter surface used here is attach() and close().
  const faye = (await import('faye')) as unknown as {
    default: { NodeAdapter: new (o: { mount: string; timeout: number }) => { attach(s: Server): void } };
  };
  const bayeux = new faye.default.NodeAdapter({ mount: PATH, timeout: 25 });
  const server = createServer();
  bayeux.attach(server);
  const port = await listen(server);
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function startPushwire(history = false): Promise<{ port: number; close: () => Promise<void> }> {
  const { startPushwireBayeux } = await import('./pushwire-server.js');
  const server = createServer();
  const detach = await startPushwireBayeux(server, PATH, history);
  const port = await listen(server);
  return {
    port,
    close: async () => {
      await detach();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const impl = process.argv[2];
const server =
  impl === 'faye'
    ? await startFaye()
    : impl === 'pushwire' || impl === 'pushwire-history'
      ? await startPushwire(impl === 'pushwire-history')
      : null;
if (!server) throw new Error(`unknown server ${impl}`);

serveParent(
  {
    cpu: () => process.cpuUsage(),
    /** Writes a heap snapshot into `dir` (BENCH_SNAPSHOT); summarise it with bench/heap-summary.ts. */
    snapshot: (args: { dir: string; label: string }) => {
      measureMemory();
      return { file: writeHeapSnapshot(join(args.dir, `${args.label}-${process.pid}.heapsnapshot`)) };
    },
    mem: () => measureMemory(),
    close: async () => {
      await server.close();
      return {};
    },
  },
  { port: server.port, path: PATH },
);
