// The chat server under test, one per process: Faye's NodeAdapter (the peer), @pushwire/server (ours), both
// mounted at /bayeux, or Socket.IO 4.8 (the third contender: rooms joined with a `join` event, `chat`
// events relayed to the room) at /socket.io/, on a plain Node http server on 127.0.0.1, port 0.
// Usage (spawned by the harness): server-child.ts <faye|pushwire|pushwire-history|socketio>
// (pushwire-history: history on the rooms)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { measureMemory, serveParent } from '../lib/proc.js';
import { SOCKETIO_PATH } from './raw-socketio.js';

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

async function startSocketIo(): Promise<{ port: number; close: () => Promise<void> }> {
  const { Server: Io } = await import('socket.io');
  const server = createServer();
  // Both transports allowed; the generator picks one per run (no upgrade). Ping interval as Faye/ours
  // hold a connect (25 s), so keep-alive traffic is comparable.
  const io = new Io(server, {
    path: SOCKETIO_PATH,
    serveClient: false,
    transports: ['polling', 'websocket'],
    pingInterval: 25_000,
  });
  io.on('connection', (socket) => {
    socket.on('join', (room: string, ack?: () => void) => {
      void socket.join(room);
      ack?.();
    });
    socket.on('chat', (room: string, data: unknown) => {
      io.to(room).emit('chat', data);
    });
  });
  const port = await listen(server);
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        void io.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const impl = process.argv[2];
const server =
  impl === 'faye'
    ? await startFaye()
    : impl === 'pushwire' || impl === 'pushwire-history'
      ? await startPushwire(impl === 'pushwire-history')
      : impl === 'socketio'
        ? await startSocketIo()
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
  { port: server.port, path: impl === 'socketio' ? SOCKETIO_PATH : PATH },
);
