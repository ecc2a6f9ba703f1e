// The chat server under test, one per process: Faye's NodeAdapter (the peer), @pushwire/server (ours), both
// mounted at /bayeux, or Socket.IO 4.8 (the third contender: rooms joined with a `join` event, `chat`
// events relayed to the room) at /socket.io/, on a plain Node http server on 127.0.0.1, port 0.
// Usage (spawned by the harness): server-child.ts <faye|pushwire|pushwire-history|socketio>
// (pushwire-history: history on the rooms)
import { createServer, type Server } from 'node:http';
import { closeHttp, listenLocal, type RunningServer, serveServer } from '../lib/server-child.js';
import { SOCKETIO_PATH } from './raw-socketio.js';

const PATH = '/bayeux';

async function startFaye(): Promise<RunningServer> {
  // faye ships no types; the NodeAdapter surface used here is attach() and close().
  const faye = (await import('faye')) as unknown as {
    default: { NodeAdapter: new (o: { mount: string; timeout: number }) => { attach(s: Server): void } };
  };
  const bayeux = new faye.default.NodeAdapter({ mount: PATH, timeout: 25 });
  const server = createServer();
  bayeux.attach(server);
  return { port: await listenLocal(server), close: () => closeHttp(server) };
}

async function startPushwire(history = false): Promise<RunningServer> {
  const { startPushwireBayeux } = await import('./pushwire-server.js');
  const server = createServer();
  const detach = await startPushwireBayeux(server, PATH, history);
  return {
    port: await listenLocal(server),
    close: async () => {
      await detach();
      await closeHttp(server);
    },
  };
}

async function startSocketIo(): Promise<RunningServer> {
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
  return {
    port: await listenLocal(server),
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

serveServer(server, { path: impl === 'socketio' ? SOCKETIO_PATH : PATH });
