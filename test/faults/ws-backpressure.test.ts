// A WebSocket peer that never reads (backpressure). The server cannot make the peer read; what it owes is
// an honest bufferedAmount (WHATWG WebSocket: bytes queued by send() and not yet handed to the network)
// and a 'drain' event, so an application can bound its own memory; and the connection must stay correct:
// when the peer finally reads, every message arrives intact and in order. Others on the server are not
// slowed by the stuck peer.
import { once } from 'node:events';
import { Receiver, type WebSocket } from '@pushwire/websocket';
import { afterEach, describe, expect, it } from 'vitest';
import { type EchoServer, echoRoundTrip, echoServer, rawWebSocket, until, within } from './support.js';

let server: EchoServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Parses unmasked server frames from a raw socket; collects binary messages. */
function collect(socket: import('node:net').Socket): Buffer[] {
  const got: Buffer[] = [];
  const receiver = new Receiver(
    {
      onMessage: (data) => got.push(Buffer.from(data)),
      onPing: () => {},
      onPong: () => {},
      onClose: () => {},
      onError: (err) => {
        throw err;
      },
    },
    false,
    { maxPayload: 16 * 1024 * 1024, maxFragments: 1000, maxBufferedChunks: 1_000_000 },
  );
  socket.on('data', (c: Buffer) => receiver.write(c));
  return got;
}

describe('a peer that never reads', () => {
  it('bufferedAmount grows past what the kernel absorbs; a sender that honours it stays bounded', async () => {
    server = await echoServer();
    const serverSide = within(once(server.wss, 'connection'), 5000, 'connection') as Promise<[WebSocket]>;
    const peer = await rawWebSocket(server.port);
    peer.pause();
    const [ws] = await serverSide;

    // The application's policy: stop sending above 1 MiB buffered, resume on 'drain'.
    const limit = 1024 * 1024;
    const chunk = 64 * 1024;
    const total = 600; // 37.5 MiB, well past the loopback socket buffers
    let sent = 0;
    let peak = 0;
    let drains = 0;
    ws.on('drain', () => drains++);
    const pump = (): void => {
      while (sent < total && ws.bufferedAmount < limit) {
        const body = Buffer.alloc(chunk, sent & 0xff);
        body.writeUInt32BE(sent, 0);
        ws.send(body);
        sent++;
        peak = Math.max(peak, ws.bufferedAmount);
      }
    };
    ws.on('drain', pump);
    pump();
    // The kernel's loopback buffers absorb a few MiB; after that the peer reading nothing means nothing
    // drains any more. Wait until the sender has been stuck for a while (many turns of the event loop).
    let last = -1;
    let stillFor = 0;
    await until(
      () => {
        stillFor = sent === last ? stillFor + 1 : 0;
        last = sent;
        return stillFor > 2000;
      },
      10_000,
      'sender stalled',
    );
    expect(sent).toBeLessThan(total);
    expect(ws.bufferedAmount).toBeGreaterThanOrEqual(limit);

    // Someone else on the same server is not held up by the stuck peer.
    expect(await echoRoundTrip(server.url, 'unaffected')).toBe('unaffected');

    // Now the peer reads; each 'drain' lets the sender go on. Everything arrives, in order, intact.
    const got = collect(peer);
    peer.resume();
    await until(() => got.length === total, 20_000, `all ${total} messages read (${got.length})`);
    expect(drains).toBeGreaterThan(0);
    // Memory stayed within the policy: at most one message over the limit was ever buffered.
    expect(peak).toBeLessThan(limit + chunk + 1024);
    got.forEach((m, i) => {
      expect(m.length).toBe(chunk);
      expect(m.readUInt32BE(0)).toBe(i);
      expect(m[chunk - 1]).toBe(i & 0xff);
    });
    expect(ws.bufferedAmount).toBe(0);
    peer.destroy();
  });

  it('broadcast to a stuck peer and a reading one: the reader gets every message at once', async () => {
    server = await echoServer();
    const stuckSide = within(once(server.wss, 'connection'), 5000, 'stuck connection') as Promise<
      [WebSocket]
    >;
    const stuck = await rawWebSocket(server.port);
    stuck.pause();
    const [stuckWs] = await stuckSide;
    const readerSide = within(once(server.wss, 'connection'), 5000, 'reader connection') as Promise<
      [WebSocket]
    >;
    const reader = await rawWebSocket(server.port);
    await readerSide;
    const got = collect(reader);
    const body = Buffer.alloc(256 * 1024, 1);
    for (let i = 0; i < 40; i++) server.wss.broadcast(body); // 10 MiB to each
    await until(() => got.length === 40, 10_000, `reader got all broadcasts (${got.length})`);
    // The stuck one is still open and accounts for what it owes.
    expect(stuckWs.readyState).toBe(1);
    expect(stuckWs.bufferedAmount).toBeGreaterThan(0);
    stuck.destroy();
    reader.destroy();
  });
});
