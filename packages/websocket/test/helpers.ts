// Test helpers: in-memory duplex pairs, servers on 127.0.0.1:0, raw TCP clients.
import { once } from 'node:events';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { type ServerOptions, WebSocketServer } from '../src/server.js';

/** Two connected in-memory duplex streams: what one writes, the other reads. */
export function duplexPair(): [Duplex, Duplex] {
  let a: Duplex;
  let b: Duplex;
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        peer().push(Buffer.from(chunk));
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
      allowHalfOpen: true,
    });
  a = make(() => b);
  b = make(() => a);
  return [a, b];
}

/** Collects everything a stream emits. */
export function collect(stream: Duplex): { bytes: () => Buffer; ended: Promise<void> } {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve) => stream.once('end', () => resolve()));
  return { bytes: () => Buffer.concat(chunks), ended };
}

export async function startServer(
  options: Omit<ServerOptions, 'port'> = {},
): Promise<{ wss: WebSocketServer; port: number; url: string }> {
  const wss = new WebSocketServer({ ...options, port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const port = (wss.address() as net.AddressInfo).port;
  return { wss, port, url: `ws://127.0.0.1:${port}` };
}

/** A raw TCP client: sends `request` and gathers the answer until the server closes. */
export async function rawClient(
  port: number,
): Promise<{ socket: net.Socket; data: () => Buffer; closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, data: () => Buffer.concat(chunks), closed };
}

export const UPGRADE_REQUEST = (path = '/', extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

/** Waits until `predicate` holds, re-checking on each 'data' of the socket. */
export async function until(socket: net.Socket, predicate: () => boolean): Promise<void> {
  while (!predicate()) {
    if (socket.destroyed) throw new Error('socket closed before the condition held');
    await Promise.race([once(socket, 'data'), once(socket, 'close')]);
  }
}
