// Issue 8 items 1 and 5, the websocket layer: a peer that floods pings and never reads (server and client
// side), a peer stuck in the middle of a fragmented message, and a flood of idle upgrades. Each attack is
// bounded in bytes and time, and a well-behaved client still works afterwards.
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { acceptKey, encodeFrame, OPCODE, WebSocket, type WebSocketError } from '@pushwire/websocket';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EchoServer,
  echoRoundTrip,
  echoServer,
  rawSocket,
  rawWebSocket,
  readAll,
  upgradeRequest,
  within,
} from './support.js';

const BOUND = 256 * 1024;
/** The largest pong: a 125-byte payload and a 2-byte header (server to client, unmasked). */
const PONG_FRAME = 127;
/** The flood is bounded: 20 MB of pings, far more than loopback's kernel buffers absorb. */
const FLOOD_BYTES = 20 * 1024 * 1024;
const turn = () => new Promise((r) => setImmediate(r));

let server: EchoServer | undefined;
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await server?.close();
  server = undefined;
});

/**
 * Writes batches of ping frames to `socket` until `stopped()` (the other side stopped reading), at most
 * FLOOD_BYTES; waits a turn whenever the socket pushes back, so the other side gets to read.
 */
async function floodPings(socket: Socket, ping: Buffer, stopped: () => boolean): Promise<number> {
  const batch = Buffer.concat(Array.from({ length: 512 }, () => ping));
  let sent = 0;
  while (!stopped()) {
    if (sent >= FLOOD_BYTES) throw new Error(`still reading after ${sent} bytes of pings`);
    sent += batch.length;
    if (!socket.write(batch)) await turn();
  }
  return sent;
}

describe('a peer that floods pings and never reads', () => {
  it('server side: stops reading at maxBufferedAmount (+ one pong), then fails it with 1008 after backpressureTimeout', async () => {
    server = await echoServer({ maxBufferedAmount: BOUND, backpressureTimeout: 300, closeTimeout: 200 });
    const accepted = once(server.wss, 'connection') as Promise<[WebSocket]>;
    const peer = await rawWebSocket(server.port);
    cleanup.push(() => peer.destroy());
    peer.pause(); // never reads from now on
    const [ws] = await within(accepted, 5000, 'connection');
    const socket = (ws as unknown as { _socket: Socket })._socket;
    let maxBuffered = 0;
    let maxWritable = 0;
    ws.on('ping', () => {
      maxBuffered = Math.max(maxBuffered, ws.bufferedAmount);
      maxWritable = Math.max(maxWritable, socket.writableLength);
    });
    const errors: string[] = [];
    ws.on('error', (e) => errors.push((e as WebSocketError).code));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    // Not events.once: it rejects on the 'error' (ECONNRESET) a destroyed connection gives the writing peer.
    const peerClosed = new Promise<void>((r) => peer.once('close', () => r()));

    const ping = encodeFrame(OPCODE.PING, Buffer.alloc(125, 7), {
      mask: true,
      maskKey: Buffer.from('01020304', 'hex'),
    });
    await floodPings(peer, ping, () => ws.isPaused);
    expect(maxBuffered).toBeGreaterThan(BOUND - PONG_FRAME);
    expect(maxBuffered).toBeLessThanOrEqual(BOUND + PONG_FRAME);
    expect(maxWritable).toBeLessThanOrEqual(BOUND + PONG_FRAME);

    expect(await within(closed, 5000, 'server-side close')).toBe(1008);
    expect(errors).toContain('WS_ERR_BACKPRESSURE_TIMEOUT');
    expect(socket.destroyed).toBe(true); // the server let go of the connection
    // A paused peer notices nothing; once it reads, it finds the connection gone.
    peer.resume();
    await within(peerClosed, 5000, 'peer closed');
    expect(maxBuffered).toBeLessThanOrEqual(BOUND + PONG_FRAME);
    expect(await echoRoundTrip(server.url, 'still here')).toBe('still here');
  });

  it('client side: our client stops reading a server that floods pings, then fails it with 1008', async () => {
    let client: WebSocket | null = null;
    const flooded = new Promise<number>((resolve, reject) => {
      const tcp: Server = createServer((socket) => {
        socket.on('error', () => {});
        cleanup.push(() => socket.destroy());
        let head = '';
        const onData = (c: Buffer): void => {
          head += c.toString('latin1');
          if (!head.includes('\r\n\r\n')) return;
          socket.off('data', onData);
          const key = /sec-websocket-key: *(\S+)/i.exec(head)![1]!;
          socket.write(
            'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
              `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
          );
          socket.pause(); // never reads
          const ping = encodeFrame(OPCODE.PING, Buffer.alloc(125, 7));
          floodPings(socket, ping, () => client?.isPaused === true).then(resolve, reject);
        };
        socket.on('data', onData);
      });
      cleanup.push(() => new Promise((r) => tcp.close(r)));
      tcp.listen(0, '127.0.0.1', () => {
        const { port } = tcp.address() as { port: number };
        client = new WebSocket(`ws://127.0.0.1:${port}/`, {
          maxBufferedAmount: BOUND,
          backpressureTimeout: 300,
          closeTimeout: 200,
        });
        client.on('error', () => {});
        let max = 0;
        client.on('ping', () => {
          max = Math.max(max, client!.bufferedAmount);
          if (max > BOUND + PONG_FRAME + 6) reject(new Error(`client bufferedAmount reached ${max}`));
        });
      });
    });
    await within(flooded, 20_000, 'client paused');
    const ws = client as unknown as WebSocket;
    cleanup.push(() => ws.terminate());
    expect(ws.bufferedAmount).toBeLessThanOrEqual(BOUND + PONG_FRAME + 6); // client pongs are masked: +4
    const code = await within(
      new Promise<number>((r) => ws.once('close', (c) => r(c))),
      5000,
      'client close',
    );
    expect(code).toBe(1008);
  });
});

describe('a peer stuck in the middle of a message', () => {
  it('gets a 1008 close after fragmentTimeout and loses the connection', async () => {
    server = await echoServer({ fragmentTimeout: 300 });
    const peer = await rawWebSocket(server.port);
    cleanup.push(() => peer.destroy());
    const everything = readAll(peer);
    peer.write(encodeFrame(OPCODE.TEXT, 'the first half', { mask: true, fin: false }));
    const bytes = await everything;
    // A close frame (0x88), then the code 1008 and a reason.
    expect(bytes[0]).toBe(0x88);
    expect(bytes.readUInt16BE(2)).toBe(1008);
    expect(bytes.subarray(4).toString()).toMatch(/fragmentTimeout/);
    expect(await echoRoundTrip(server.url, 'still here')).toBe('still here');
  });
});

describe('a flood of idle upgrades', () => {
  it('maxConnections: past it, upgrades get 503 with Retry-After; a freed slot serves a good client', async () => {
    const MAX = 40;
    server = await echoServer({ maxConnections: MAX });
    const idle: Socket[] = [];
    for (let i = 0; i < MAX; i++) idle.push(await rawWebSocket(server.port));
    cleanup.push(() => {
      for (const s of idle) s.destroy();
    });
    const extra = await rawSocket(server.port);
    const answer = readAll(extra);
    extra.write(upgradeRequest());
    const text = (await answer).toString();
    expect(text).toMatch(/^HTTP\/1\.1 503 /);
    expect(text).toContain('\r\nRetry-After: 5\r\n');
    const gone = once(server.wss.clients.values().next().value as WebSocket, 'close');
    idle.shift()!.destroy();
    await within(gone, 5000, 'an idle connection closing');
    expect(await echoRoundTrip(server.url, 'room for one')).toBe('room for one');
  });
});
