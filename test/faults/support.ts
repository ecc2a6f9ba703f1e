// Shared pieces of the fault tests: a raw TCP peer (to misbehave below any client library), a WebSocket
// echo server on 127.0.0.1:0, and bounded waits on events (no sleeps: every wait has a deadline and a name).
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { WebSocket, WebSocketServer } from '@pushwire/websocket';

/** Rejects when `p` has not settled within `ms`, naming what was awaited. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Polls `predicate` once per macrotask until it holds (bounded by `ms`). */
export async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`${what}: still false after ${ms} ms`);
    await new Promise((r) => setImmediate(r));
  }
}

/** A raw TCP connection to 127.0.0.1:port, connected. */
export async function rawSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {
    // Resets are what these tests provoke; each test checks the 'close' that follows, not the error.
  });
  await once(socket, 'connect');
  return socket;
}

/** Everything the peer sends until it closes the connection (or `ms` passes). */
export function readAll(socket: Socket, ms = 5000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return within(
    new Promise<Buffer>((resolve) => {
      socket.once('close', () => resolve(Buffer.concat(chunks)));
    }),
    ms,
    'peer closing the connection',
  );
}

/** A syntactically complete RFC 6455 4.1 upgrade request head. */
export function upgradeRequest(path = '/', extraHeaders = ''): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`
  );
}

/** Opens a raw socket and completes the opening handshake; resolves once the 101 head is read. */
export async function rawWebSocket(port: number, path = '/'): Promise<Socket> {
  const socket = await rawSocket(port);
  socket.write(upgradeRequest(path));
  let head = '';
  await within(
    new Promise<void>((resolve, reject) => {
      const onData = (c: Buffer): void => {
        head += c.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`no 101: ${head.slice(0, 80)}`));
        else resolve();
      };
      socket.on('data', onData);
    }),
    5000,
    '101 Switching Protocols',
  );
  return socket;
}

export interface EchoServer {
  wss: WebSocketServer;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** A WebSocketServer on 127.0.0.1:0 that echoes every message. */
export async function echoServer(
  options: ConstructorParameters<typeof WebSocketServer>[0] = {},
): Promise<EchoServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', ...options, port: 0 });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : data.toString()));
    ws.on('error', () => {
      // Faults are the point of these tests; the 'close' event that follows is what they check.
    });
  });
  await once(wss, 'listening');
  const { port } = wss.address() as { port: number };
  return { wss, port, url: `ws://127.0.0.1:${port}/`, close: () => wss.close() };
}

/** A well-behaved client: connects, sends `text`, resolves with the echo, closes cleanly. */
export async function echoRoundTrip(url: string, text: string): Promise<string> {
  const ws = new WebSocket(url);
  ws.on('error', () => {
    // Surfaced through the rejected promise below.
  });
  await within(once(ws, 'open'), 5000, 'good client open');
  const reply = once(ws, 'message');
  ws.send(text);
  const [data] = (await within(reply, 5000, 'good client echo')) as [Buffer];
  const closed = once(ws, 'close');
  ws.close(1000);
  await within(closed, 5000, 'good client close');
  return data.toString();
}
