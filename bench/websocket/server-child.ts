// The WebSocket server under test, one per process: `ws` (the peer) or `pushwire` (ours). It echoes every
// message as received, broadcasts on the parent's command, and reports its memory after full GCs.
// Usage (spawned by the harness): server-child.ts <ws|pushwire>
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { closeHttp, listenLocal, type RunningServer, serveServer } from '../lib/server-child.js';
import { monoMs } from '../lib/stats.js';

/** The little the bench needs from a server, so both implementations are driven identically. */
interface ServerUnderTest extends RunningServer {
  clientCount(): number;
  /** Sends the same bytes to every connected client (binary message). */
  broadcast(data: Buffer): void;
}

async function startWs(): Promise<ServerUnderTest> {
  const { WebSocketServer, WebSocket } = await import('ws');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    ws.on('error', () => {});
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const addr = wss.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    clientCount: () => wss.clients.size,
    // The loop the ws README documents for broadcasting.
    broadcast(data) {
      for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(data);
    },
    close: () => new Promise((resolve) => wss.close(() => resolve())),
  };
}

/**
 * The slice of @pushwire/websocket's public API (see the contract in the shared brief) the bench drives.
 * Declared here so the bench keeps type-checking while the package grows; the cast is checked at run time
 * by the constructor call.
 */
interface PushwireSocket {
  on(event: 'message', cb: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  send(data: string | Buffer, options?: { binary?: boolean }): void;
}
interface PushwireServer {
  on(event: 'connection', cb: (ws: PushwireSocket) => void): void;
  once(event: 'listening', cb: () => void): void;
  address(): { port: number };
  clients: Set<PushwireSocket>;
  broadcast(data: Buffer): void;
  close(): Promise<void>;
}
type PushwireModule = { WebSocketServer: new (opts: { host: string; port: number }) => PushwireServer };

async function startPushwire(): Promise<ServerUnderTest> {
  const mod = (await import('@pushwire/websocket')) as unknown as PushwireModule;
  const wss = new mod.WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (ws) => {
    // The received Buffer goes back as it came, text as text (send's `binary` option, as ws's handler
    // above): no UTF-8 decode and re-encode per echo (the bytes are only checked, one native isUtf8 call).
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => {});
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const addr = wss.address();
  return {
    port: addr.port,
    clientCount: () => wss.clients.size,
    broadcast: (data) => wss.broadcast(data),
    close: () => wss.close(),
  };
}

/**
 * The ceiling, not a contender: a hand-made handshake and one pre-framed socket.write per client, no
 * parsing, no bookkeeping. Used only for the broadcast/memory crowd, to show what the loopback and one
 * generator process allow.
 */
async function startBare(): Promise<ServerUnderTest> {
  const sockets = new Set<Duplex>();
  const http = createServer();
  http.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const key = String(req.headers['sec-websocket-key']);
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    (socket as Socket).setNoDelay(true);
    sockets.add(socket);
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    port: await listenLocal(http),
    clientCount: () => sockets.size,
    broadcast(data) {
      // Payloads under 126 bytes: a 2-byte header (RFC 6455 5.2), binary, FIN.
      const frame = Buffer.concat([Buffer.from([0x82, data.length]), data]);
      for (const s of sockets) s.write(frame);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await closeHttp(http);
    },
  };
}

const impl = process.argv[2];
const server =
  impl === 'ws'
    ? await startWs()
    : impl === 'pushwire'
      ? await startPushwire()
      : impl === 'bare'
        ? await startBare()
        : null;
if (!server) throw new Error(`unknown server ${impl}`);

serveServer(
  server,
  {},
  {
    /**
     * Broadcasts `count` messages of `size` bytes. Returns monotonic times: t0 before the loop, t1 once
     * the loop and any writes it deferred to the next tick are done (the server's own share of the work).
     */
    broadcast: async (args: { size: number; count: number }) => {
      const data = Buffer.alloc(args.size, 0x61);
      const cpu0 = process.cpuUsage();
      const t0 = monoMs();
      for (let i = 0; i < args.count; i++) server.broadcast(data);
      await new Promise((resolve) => setImmediate(resolve));
      const t1 = monoMs();
      const cpu = process.cpuUsage(cpu0);
      return { t0, t1, cpuMs: (cpu.user + cpu.system) / 1000, clients: server.clientCount() };
    },
  },
  () => ({ clients: server.clientCount() }),
);
