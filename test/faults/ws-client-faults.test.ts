// Our WebSocket client against misbehaving servers (raw TCP servers on 127.0.0.1:0): silence during the
// opening handshake, a trickled or oversized 101, a reset in the middle of a frame, an announced frame far
// above maxPayload, and a server that never answers the close handshake. Each must end in 'error' (when it
// is a failure) and exactly one 'close' within the configured time, with no uncaught exception.
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { acceptKey, encodeFrame, OPCODE, WebSocket } from '@pushwire/websocket';
import { afterEach, describe, expect, it } from 'vitest';
import { within } from './support.js';

let server: Server | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
});

/** A raw TCP server: `onHead` gets the socket and the client's request head once it is complete. */
async function rawServer(onHead: (socket: Socket, head: string) => void): Promise<string> {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {
      // The client may reset us; that is part of the scenario.
    });
    let head = '';
    const onData = (c: Buffer): void => {
      head += c.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      onHead(socket, head);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return `ws://127.0.0.1:${port}/`;
}

function accept101(head: string): string {
  const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`;
}

interface Outcome {
  errors: string[];
  closes: number[];
  opened: boolean;
}

/** Connects and records everything until the first 'close' (then a few more turns for stragglers). */
async function outcome(ws: WebSocket, ms: number): Promise<Outcome> {
  const o: Outcome = { errors: [], closes: [], opened: false };
  ws.on('open', () => {
    o.opened = true;
  });
  ws.on('error', (err: Error & { code?: string }) => o.errors.push(err.code ?? err.message));
  // Not events.once(): it rejects on 'error', which is an expected step here.
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  ws.on('close', (code: number) => o.closes.push(code));
  await within(closed, ms, 'client close');
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  return o;
}

describe('our client against misbehaving servers', () => {
  it('a server that never answers the upgrade: handshake timeout, one close 1006', async () => {
    const url = await rawServer(() => {
      // Say nothing.
    });
    const started = Date.now();
    const o = await outcome(new WebSocket(url, [], { handshakeTimeout: 300 }), 5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(o.opened).toBe(false);
    expect(o.errors.length).toBe(1);
    expect(o.closes).toEqual([1006]);
  });

  it('a 101 trickled one header line every 100 ms: the handshake timeout still applies', async () => {
    const url = await rawServer((socket, head) => {
      const lines = accept101(head).split(/(?<=\r\n)/);
      const timer = setInterval(() => {
        const line = lines.shift();
        if (line === undefined || socket.destroyed) clearInterval(timer);
        else socket.write(line);
      }, 100);
      socket.on('close', () => clearInterval(timer));
    });
    const o = await outcome(new WebSocket(url, [], { handshakeTimeout: 250 }), 5000);
    expect(o.opened).toBe(false);
    expect(o.errors.length).toBe(1);
    expect(o.closes).toEqual([1006]);
  });

  it('a 101 with 1 MiB of headers is refused, not buffered', async () => {
    const url = await rawServer((socket, head) => {
      const ok = accept101(head);
      socket.write(ok.slice(0, -2));
      for (let i = 0; i < 1024; i++) socket.write(`X-Pad-${i}: ${'p'.repeat(1010)}\r\n`);
      socket.write('\r\n');
    });
    const o = await outcome(new WebSocket(url), 5000);
    expect(o.opened).toBe(false);
    expect(o.errors.length).toBe(1);
    expect(o.closes).toEqual([1006]);
  });

  it('a reset in the middle of a frame after the 101: one close 1006, no throw', async () => {
    const url = await rawServer((socket, head) => {
      socket.write(accept101(head));
      socket.write(encodeFrame(OPCODE.BINARY, Buffer.alloc(1000, 1)).subarray(0, 300));
      setImmediate(() => socket.resetAndDestroy());
    });
    const o = await outcome(new WebSocket(url), 5000);
    expect(o.opened).toBe(true);
    expect(o.closes).toEqual([1006]);
  });

  it('a frame announcing 2^53-1 bytes: 1009 before any of it is buffered', async () => {
    let clientClose: Buffer | undefined;
    const url = await rawServer((socket, head) => {
      socket.write(accept101(head));
      const header = Buffer.from([0x82, 127, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
      socket.write(header);
      socket.on('data', (c: Buffer) => {
        clientClose ??= c;
      });
    });
    const o = await outcome(new WebSocket(url, [], { maxPayload: 1024 * 1024, closeTimeout: 500 }), 5000);
    expect(o.opened).toBe(true);
    expect(o.errors.length).toBe(1);
    // The client told the server why (RFC 6455 7.4.1 1009), in a masked close frame.
    expect(clientClose?.[0]).toBe(0x88);
    expect(o.closes.length).toBe(1);
  });

  it('a server that never answers our close frame: closeTimeout, then one close', async () => {
    const url = await rawServer((socket, head) => {
      socket.write(accept101(head));
      // Reads the close frame and says nothing back.
    });
    const ws = new WebSocket(url, [], { closeTimeout: 300 });
    await within(once(ws, 'open'), 5000, 'open');
    const started = Date.now();
    const o = outcome(ws, 5000);
    ws.close(1000, 'bye');
    const result = await o;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(result.closes.length).toBe(1);
  });
});
