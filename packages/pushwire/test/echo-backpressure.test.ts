// `pushwire echo` under a client that floods and never reads: the echo connection must stop reading once
// its unread replies pass the bound (pause, resume on 'drain'), so the server's buffer stays bounded.

import { once } from 'node:events';
import net from 'node:net';
import {
  encodeFrame,
  OPCODE,
  type ServerOptions,
  type WebSocket,
  WebSocketServer,
} from '@pushwire/websocket';
import { afterEach, describe, expect, it } from 'vitest';
import { echoConnection } from '../src/commands/echo.js';

const MAX_PAYLOAD = 64 * 1024;
const BOUND = 4 * MAX_PAYLOAD;
const MESSAGE = 32 * 1024;
/** The flood is bounded: far more than the kernel buffers of a loopback connection plus the bound. */
const MAX_FRAMES = 4096; // 128 MiB
const turn = () => new Promise((r) => setImmediate(r));

let server: WebSocketServer | null = null;
let clientSocket: { destroy(): void } | null = null;

afterEach(async () => {
  clientSocket?.destroy();
  clientSocket = null;
  await server?.close();
  server = null;
});

async function startServer(options: ServerOptions): Promise<{ wss: WebSocketServer; port: number }> {
  const wss = new WebSocketServer({ ...options, port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  return { wss, port: (wss.address() as net.AddressInfo).port };
}

/** A raw TCP peer: gathers everything the server sends. */
async function rawClient(port: number): Promise<{ socket: net.Socket; data: () => Buffer }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  return { socket, data: () => Buffer.concat(chunks) };
}

const UPGRADE_REQUEST = (): string =>
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** Waits until `predicate` holds, re-checking on each 'data' of the socket. */
async function until(socket: net.Socket, predicate: () => boolean): Promise<void> {
  while (!predicate()) {
    if (socket.destroyed) throw new Error('socket closed before the condition held');
    await Promise.race([once(socket, 'data'), once(socket, 'close')]);
  }
}

describe('pushwire echo backpressure', () => {
  it('stops reading a client that floods and never reads: bufferedAmount stays bounded, then all is echoed', async () => {
    const started = await startServer({ maxPayload: MAX_PAYLOAD });
    server = started.wss;
    let maxBuffered = 0;
    const accepted = new Promise<WebSocket>((resolve) =>
      started.wss.once('connection', (ws) => {
        echoConnection(ws, BOUND);
        // Registered after the echo listener: samples bufferedAmount right after each reply, the only
        // moment it grows.
        ws.on('message', () => {
          maxBuffered = Math.max(maxBuffered, ws.bufferedAmount);
        });
        resolve(ws);
      }),
    );
    const client = await rawClient(started.port);
    clientSocket = client.socket;
    client.socket.write(UPGRADE_REQUEST());
    await until(client.socket, () => client.data().includes('\r\n\r\n'));
    const headLength = client.data().indexOf('\r\n\r\n') + 4;
    const ws = await accepted;
    client.socket.pause(); // never reads from now on

    const frame = encodeFrame(OPCODE.BINARY, Buffer.alloc(MESSAGE, 5), {
      mask: true,
      maskKey: Buffer.from('01020304', 'hex'),
    });
    let frames = 0;
    while (!ws.isPaused) {
      if (frames === MAX_FRAMES) throw new Error('the echo connection never paused');
      frames++;
      if (!client.socket.write(frame)) await turn(); // let the server read; its drain may never come
    }
    // Paused: the chunk being parsed was finished synchronously, nothing more is read.
    expect(maxBuffered).toBeGreaterThan(BOUND);
    // At most one message over the bound, plus the echoes of the rest of one socket read (64 KiB).
    expect(maxBuffered).toBeLessThanOrEqual(BOUND + MAX_PAYLOAD + 14 + 64 * 1024);

    // The client reads again: the server drains, resumes, and echoes every message, still bounded.
    client.socket.resume();
    const expected = headLength + frames * (MESSAGE + 4);
    await until(client.socket, () => client.data().length >= expected);
    expect(client.data().length).toBe(expected);
    expect(ws.isPaused).toBe(false);
    expect(maxBuffered).toBeLessThanOrEqual(BOUND + MAX_PAYLOAD + 14 + 64 * 1024);
  });
});
