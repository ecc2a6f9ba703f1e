// The WebSocket server under test, one per process: `ws` (the peer) or `pushwire` (ours). It echoes every
// message as received, broadcasts on the parent's command, and reports its memory after full GCs.
// Usage (spawned by the harness): server-child.ts <ws|pushwire>
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { measureMemory, serveParent } from '../lib/proc.js';
import { monoMs } from '../lib/stats.js';

/** The little the bench needs from a server, so both implementations are driven identically. */
interface ServerUnderTest {
  port: number;
  clientCount(): number;
  /** Sends the same bytes to every connected client (binary message). */
  broadcast(data: Buffer): void;
  close(): Promise<void>;
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
  send(data: string | Buffer): void;
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
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : data.toString()));
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

const impl = process.argv[2];
const server = impl === 'ws' ? await startWs() : impl === 'pushwire' ? await startPushwire() : null;
if (!server) throw new Error(`unknown server ${impl}`);

serveParent(
  {
    cpu: () => process.cpuUsage(),
    /** Writes a heap snapshot into `dir` (BENCH_SNAPSHOT); summarise it with bench/heap-summary.ts. */
    snapshot: (args: { dir: string; label: string }) => {
      measureMemory();
      return { file: writeHeapSnapshot(join(args.dir, `${args.label}-${process.pid}.heapsnapshot`)) };
    },
    mem: () => ({ ...measureMemory(), clients: server.clientCount() }),
    /**
     * Broadcasts `count` messages of `size` bytes. Returns monotonic times: t0 before the loop, t1 once
     * the loop and any writes it deferred to the next tick are done (the server's own share of the work).
     */
    broadcast: async (args: { size: number; count: number }) => {
      const data = Buffer.alloc(args.size, 0x61);
      const t0 = monoMs();
      for (let i = 0; i < args.count; i++) server.broadcast(data);
      await new Promise((resolve) => setImmediate(resolve));
      return { t0, t1: monoMs(), clients: server.clientCount() };
    },
    close: async () => {
      await server.close();
      return {};
    },
  },
  { port: server.port },
);
