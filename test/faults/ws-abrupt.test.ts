// Fault tests on open connections: peers that vanish (TCP RST) in the middle of a frame, in the middle of
// a large server send, and 1000 rapid connect/close cycles of every kind. The server must report each
// loss as a 1006 close (RFC 6455 7.1.5: closed without a close frame), keep serving the others, and leave
// nothing behind: wss.clients empty, no open TCP connection, no timer left running.
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { encodeFrame, OPCODE, WebSocket } from '@pushwire/websocket';
import { afterEach, describe, expect, it } from 'vitest';
import { type EchoServer, echoRoundTrip, echoServer, rawWebSocket, until, within } from './support.js';

let server: EchoServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Resets the TCP connection (RST, not FIN): the rudest way a peer can go. */
function reset(socket: Socket): void {
  socket.on('error', () => {
    // Our own reset may surface as an error on this side.
  });
  socket.resetAndDestroy();
}

/** Resolves with the next server-side connection's close code. */
function nextServerClose(s: EchoServer): Promise<number> {
  return within(
    new Promise<number>((resolve) => {
      s.wss.once('connection', (ws) => ws.once('close', (code: number) => resolve(code)));
    }),
    5000,
    'server-side close',
  );
}

/** Timers and sockets alive in this process (Node's own resource list). */
function resources(): { timers: number; sockets: number } {
  const list = process.getActiveResourcesInfo();
  return {
    timers: list.filter((r) => r === 'Timeout').length,
    sockets: list.filter((r) => r === 'TCPSocketWrap').length,
  };
}

describe('abrupt TCP resets', () => {
  const cuts: [string, (socket: Socket) => void][] = [
    ['after 1 header byte', (s) => s.write(Buffer.of(0x81))],
    [
      'inside the extended length',
      (s) => s.write(encodeFrame(OPCODE.BINARY, Buffer.alloc(70_000), { mask: true }).subarray(0, 5)),
    ],
    [
      'inside the masking key',
      (s) => s.write(encodeFrame(OPCODE.TEXT, 'hello', { mask: true }).subarray(0, 4)),
    ],
    [
      'halfway through a 64 KiB payload',
      (s) => s.write(encodeFrame(OPCODE.BINARY, Buffer.alloc(65_536, 7), { mask: true }).subarray(0, 32_000)),
    ],
    [
      'between the fragments of a message',
      (s) => s.write(encodeFrame(OPCODE.TEXT, 'part one', { mask: true, fin: false })),
    ],
    [
      'inside a text code point',
      (s) => s.write(encodeFrame(OPCODE.TEXT, Buffer.from('é'), { mask: true }).subarray(0, 7)),
    ],
    [
      'inside a close frame',
      (s) =>
        s.write(encodeFrame(OPCODE.CLOSE, Buffer.from([0x03, 0xe8, 0x62]), { mask: true }).subarray(0, 7)),
    ],
  ];

  it.each(cuts)('a reset %s: server sees 1006, others unaffected, nothing left', async (_, partial) => {
    server = await echoServer();
    const closed = nextServerClose(server);
    const socket = await rawWebSocket(server.port);
    partial(socket);
    reset(socket);
    expect(await closed).toBe(1006);
    await until(() => server!.wss.clients.size === 0, 5000, 'clients set emptied');
    expect(await echoRoundTrip(server.url, 'after the reset')).toBe('after the reset');
  });

  it('a reset while the server is writing 8 MiB to the peer: 1006, the send callback reports, no throw', async () => {
    server = await echoServer();
    const serverSide = within(once(server.wss, 'connection'), 5000, 'connection') as Promise<[WebSocket]>;
    const socket = await rawWebSocket(server.port);
    socket.pause(); // never read: the server's writes back up
    const [ws] = await serverSide;
    const closed = once(ws, 'close');
    const callbacks: (Error | undefined)[] = [];
    for (let i = 0; i < 8; i++) ws.send(Buffer.alloc(1024 * 1024, i), (err) => callbacks.push(err));
    expect(ws.bufferedAmount).toBeGreaterThan(0);
    reset(socket);
    const [code] = (await within(closed, 5000, 'server close after reset')) as [number];
    expect(code).toBe(1006);
    // Every send callback runs exactly once (with or without an error) once the connection is gone.
    await until(() => callbacks.length === 8, 5000, 'all send callbacks');
    expect(callbacks.some((e) => e instanceof Error)).toBe(true);
    expect(server.wss.clients.size).toBe(0);
    expect(await echoRoundTrip(server.url, 'x')).toBe('x');
  });
});

describe('1000 rapid connect/close cycles', () => {
  it('every kind of ending, 50 at a time: clients back to 0, no sockets or timers leaked', async () => {
    server = await echoServer({ closeTimeout: 2000 });
    const before = resources();
    const s = server;
    let serverCloses = 0;
    s.wss.on('connection', (ws) => ws.once('close', () => serverCloses++));
    const endings: ((i: number) => Promise<void>)[] = [
      // A clean close handshake started by the client.
      async (i) => {
        const ws = new WebSocket(s.url);
        await once(ws, 'open');
        const echo = once(ws, 'message');
        ws.send(`m${i}`);
        await echo;
        const closed = once(ws, 'close');
        ws.close(1000, 'bye');
        await closed;
      },
      // The client drops the TCP connection without a close frame.
      async () => {
        const ws = new WebSocket(s.url);
        await once(ws, 'open');
        const closed = once(ws, 'close');
        ws.terminate();
        await closed;
      },
      // A raw peer resets right after the 101.
      async () => reset(await rawWebSocket(s.port)),
      // A raw peer sends a close frame and then FIN without waiting for the answer.
      async () => {
        const socket = await rawWebSocket(s.port);
        socket.end(encodeFrame(OPCODE.CLOSE, Buffer.from([0x03, 0xe8]), { mask: true }));
        socket.resume();
        await once(socket, 'close');
      },
    ];
    const total = 1000;
    for (let batch = 0; batch < total; batch += 50) {
      await within(
        Promise.all(Array.from({ length: 50 }, (_, k) => endings[(batch + k) % endings.length]!(batch + k))),
        15_000,
        `batch at ${batch}`,
      );
    }
    await until(() => serverCloses === total, 10_000, `all ${total} server-side closes (${serverCloses})`);
    expect(s.wss.clients.size).toBe(0);
    // The server process keeps no per-connection timer or socket once they are all gone (the listener
    // itself and vitest's own resources were there before).
    await until(() => resources().sockets <= before.sockets, 5000, 'sockets released');
    await until(() => resources().timers <= before.timers, 5000, 'timers released');
    expect(await echoRoundTrip(s.url, 'still alive')).toBe('still alive');
    // Heavier than most: its own bound, so a loaded CI machine does not trip the 20 s default.
  }, 60_000);
});
