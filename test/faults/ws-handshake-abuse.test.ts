// Fault tests on the opening handshake (RFC 6455 4.2; DESIGN.md "Bounded everything": handshake time and
// header size are limits): slowloris peers that trickle their request head, a verifyClient that never
// answers, and oversized heads. Each faulty peer must be cut off on its own while a well-behaved client on
// the same server connects and echoes normally.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '@pushwire/websocket';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EchoServer,
  echoRoundTrip,
  echoServer,
  rawSocket,
  readAll,
  upgradeRequest,
  within,
} from './support.js';

let server: EchoServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('slowloris on the WebSocket server (port mode)', () => {
  it('a peer trickling header lines is disconnected after handshakeTimeout; others are served', async () => {
    const handshakeTimeout = 400;
    server = await echoServer({ handshakeTimeout });
    const peers = await Promise.all(Array.from({ length: 10 }, () => rawSocket(server!.port)));
    const started = Date.now();
    const trickles = peers.map((socket) => {
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      // One header line every 50 ms: each byte resets no timer, the whole head must arrive in time.
      const timer = setInterval(() => {
        if (!socket.destroyed) socket.write(`X-Slow-${Date.now()}: 1\r\n`);
      }, 50);
      socket.on('error', () => {
        // A reset from the server is an acceptable way to cut the peer off.
      });
      return { socket, timer, closed: readAll(socket, 10_000) };
    });
    try {
      // Meanwhile a normal client gets through at once.
      expect(await echoRoundTrip(server.url, 'still here')).toBe('still here');
      const answers = await within(
        Promise.all(trickles.map((t) => t.closed)),
        handshakeTimeout * 8,
        'slowloris peers cut off',
      );
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(handshakeTimeout - 50);
      for (const a of answers) {
        // Nothing, or a 408 from Node's request timeout: never a 101.
        const text = a.toString('latin1');
        expect(text === '' || text.startsWith('HTTP/1.1 408')).toBe(true);
      }
      expect(server.wss.clients.size).toBe(0);
      expect(await echoRoundTrip(server.url, 'after')).toBe('after');
    } finally {
      for (const t of trickles) {
        clearInterval(t.timer);
        t.socket.destroy();
      }
    }
  });

  it('a peer that sends a complete upgrade head one byte at a time still gets its 101 in time', async () => {
    server = await echoServer({ handshakeTimeout: 2000 });
    const socket = await rawSocket(server.port);
    const head = Buffer.from(upgradeRequest());
    const got = readAll(socket, 5000);
    for (const byte of head) socket.write(Buffer.of(byte));
    const first = await within(
      new Promise<string>((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString('latin1')))),
      2000,
      '101 after a byte-by-byte head',
    );
    expect(first.startsWith('HTTP/1.1 101')).toBe(true);
    socket.destroy();
    await got;
  });
});

describe('handshakeTimeout when the upgrade is handed over (server / noServer mode)', () => {
  it('a verifyClient that never answers: the socket is destroyed after handshakeTimeout, no 101', async () => {
    const http = createServer();
    const pending: (() => void)[] = [];
    const wss = new WebSocketServer({
      server: http,
      handshakeTimeout: 300,
      verifyClient: () => new Promise<boolean>((resolve) => pending.push(() => resolve(true))),
    });
    wss.on('connection', (ws) => ws.close(1000));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    try {
      const socket = await rawSocket(port);
      socket.on('error', () => {
        // A reset is as good as a FIN here.
      });
      const answer = readAll(socket, 5000);
      socket.write(upgradeRequest());
      const started = Date.now();
      const bytes = await answer;
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(bytes.toString('latin1')).not.toContain('101');
      // The late verdict must not resurrect the destroyed socket.
      for (const settle of pending) settle();
      expect(wss.clients.size).toBe(0);
    } finally {
      await wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});

describe('oversized request heads', () => {
  it('port mode: a head above maxHeaderSize gets 431 and is closed; a head below is upgraded', async () => {
    server = await echoServer({ maxHeaderSize: 4096 });
    const big = await rawSocket(server.port);
    const bigAnswer = readAll(big);
    big.write(upgradeRequest('/', `X-Pad: ${'a'.repeat(5000)}\r\n`));
    expect((await bigAnswer).toString('latin1')).toMatch(/^HTTP\/1\.1 431/);

    const small = await rawSocket(server.port);
    const smallAnswer = readAll(small);
    small.write(upgradeRequest('/', `X-Pad: ${'a'.repeat(3000)}\r\n`));
    const first = await within(
      new Promise<string>((resolve) => small.once('data', (c: Buffer) => resolve(c.toString('latin1')))),
      5000,
      '101 for a head under the limit',
    );
    expect(first.startsWith('HTTP/1.1 101')).toBe(true);
    small.destroy();
    await smallAnswer;
    expect(await echoRoundTrip(server.url, 'ok')).toBe('ok');
  });

  it('server mode: a head above maxHeaderSize (below Node\u2019s own limit) gets 431 from the handshake', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http, maxHeaderSize: 2048 });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    try {
      const socket = await rawSocket(port);
      const answer = readAll(socket);
      socket.write(upgradeRequest('/', `X-Pad: ${'b'.repeat(4000)}\r\n`));
      const text = (await answer).toString('latin1');
      expect(text).toMatch(/^HTTP\/1\.1 431/);
      expect(wss.clients.size).toBe(0);
    } finally {
      await wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  it('many header lines (10,000 tiny ones) are refused like one big one', async () => {
    server = await echoServer({ maxHeaderSize: 8192 });
    const socket = await rawSocket(server.port);
    socket.on('error', () => {
      // The server may reset while we are still writing.
    });
    const answer = readAll(socket);
    socket.write(upgradeRequest('/', 'X: y\r\n'.repeat(10_000)));
    const text = (await answer).toString('latin1');
    expect(text === '' || /^HTTP\/1\.1 4\d\d/.test(text)).toBe(true);
    expect(text).not.toContain(' 101 ');
    expect(await echoRoundTrip(server.url, 'fine')).toBe('fine');
  });
});
