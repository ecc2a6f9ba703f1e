// 'drain' means bufferedAmount returned to 0 after being above 0, whatever held the bytes: this tick's
// frames, the compression queue, or the socket. Callers (the Bayeux server) wait for it when bufferedAmount
// is high, so a missed 'drain' stalls them.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveLimits } from '../src/options.js';
import type { WebSocketServer } from '../src/server.js';
import { WebSocket } from '../src/websocket.js';
import { collect, duplexPair, startServer } from './helpers.js';

let server: WebSocketServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

describe("'drain'", () => {
  it('owes no drain for a send written at once that the socket took whole', async () => {
    // The first frame of a tick on a connection with nothing waiting goes to the socket before send()
    // returns (sender.ts): bufferedAmount never rose above 0, so no 'drain' is owed.
    const [local, remote] = duplexPair();
    const ws = new WebSocket(null);
    ws._attach(local, Buffer.alloc(0), { isServer: true, limits: resolveLimits({}), deflate: null });
    const wire = collect(remote);
    let drains = 0;
    ws.on('drain', () => drains++);
    ws.send('hello');
    expect(ws.bufferedAmount).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(wire.bytes().toString('hex')).toBe('810568656c6c6f');
    expect(drains).toBe(0);
  });

  it('fires after a small send that waited for the flush tick, once its frame is written', async () => {
    const [local, remote] = duplexPair();
    const ws = new WebSocket(null);
    ws._attach(local, Buffer.alloc(0), { isServer: true, limits: resolveLimits({}), deflate: null });
    const wire = collect(remote);
    let drains = 0;
    ws.on('drain', () => drains++);
    ws.send('a'); // written at once
    ws.send('hello'); // the same tick: waits for the flush tick
    expect(ws.bufferedAmount).toBe(7);
    await once(ws, 'drain');
    expect(ws.bufferedAmount).toBe(0);
    expect(wire.bytes().toString('hex')).toBe('810161810568656c6c6f');
    expect(drains).toBe(1);
  });

  it("fires after a reply sent while a read is handled, once the read's frames are written", async () => {
    const [local, remote] = duplexPair();
    const ws = new WebSocket(null);
    ws._attach(local, Buffer.alloc(0), { isServer: true, limits: resolveLimits({}), deflate: null });
    const wire = collect(remote);
    let drains = 0;
    let during = -1;
    ws.on('drain', () => drains++);
    ws.on('message', (data) => {
      ws.send(data, { binary: false });
      during = ws.bufferedAmount; // waits for the end of the read
    });
    // "hi", masked with key 00000000 (RFC 6455 5.3: a zero key leaves the payload as it is).
    const drained = once(ws, 'drain');
    remote.write(Buffer.from('81820000000068690000', 'hex').subarray(0, 8));
    await drained;
    expect(during).toBe(4);
    expect(ws.bufferedAmount).toBe(0);
    expect(wire.bytes().toString('hex')).toBe('81026869');
    expect(drains).toBe(1);
  });

  it('fires after a 2 MiB compressible send with permessage-deflate, once compressed and written', async () => {
    const started = await startServer({ perMessageDeflate: true });
    server = started.wss;
    const serverSide = new Promise<WebSocket>((r) => started.wss.once('connection', (ws) => r(ws)));
    const client = new WebSocket(started.url, [], { perMessageDeflate: true, maxPayload: 4 * 1024 * 1024 });
    await once(client, 'open');
    const ws = await serverSide;
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    const received = once(client, 'message');
    ws.send(Buffer.alloc(2 * 1024 * 1024, 'a'));
    expect(ws.bufferedAmount).toBe(2 * 1024 * 1024);
    await once(ws, 'drain');
    expect(ws.bufferedAmount).toBe(0);
    const [data] = (await received) as [Buffer];
    expect(data.equals(Buffer.alloc(2 * 1024 * 1024, 'a'))).toBe(true);
    client.close();
    await once(client, 'close');
  });

  it('fires once when the socket itself pushed back (its own drain and the write completion agree)', async () => {
    const started = await startServer();
    server = started.wss;
    const serverSide = new Promise<WebSocket>((r) => started.wss.once('connection', (ws) => r(ws)));
    const client = new WebSocket(started.url, [], { maxPayload: 16 * 1024 * 1024 });
    await once(client, 'open');
    const ws = await serverSide;
    let drains = 0;
    ws.on('drain', () => drains++);
    const received = once(client, 'message');
    ws.send(Buffer.alloc(8 * 1024 * 1024, 7));
    await once(ws, 'drain');
    await received;
    // A round trip after the drain: a second, duplicate 'drain' would have come by now.
    const echoed = once(ws, 'message');
    client.send('x');
    await echoed;
    expect(drains).toBe(1);
    client.close();
    await once(client, 'close');
  });

  it('fires after small callback-less sends the kernel could not take at once (peer not reading)', async () => {
    // Each send is one frame under the coalescing limit, written without a completion callback; once the
    // peer stops reading, the kernel takes less than a whole write and the bytes wait in the socket.
    const started = await startServer();
    server = started.wss;
    const serverSide = new Promise<WebSocket>((r) => started.wss.once('connection', (ws) => r(ws)));
    const client = new WebSocket(started.url, [], { maxPayload: 1024 * 1024 });
    await once(client, 'open');
    const ws = await serverSide;
    const peer = (client as unknown as { _socket: import('node:net').Socket })._socket;
    peer.pause();
    let drains = 0;
    ws.on('drain', () => drains++);
    const chunk = Buffer.alloc(32 * 1024, 1);
    let sent = 0;
    // Send one per turn, so each is its own flush, until bytes wait in the socket after a flush.
    while (sent < 2000) {
      ws.send(chunk);
      sent++;
      await new Promise((r) => setImmediate(r));
      if (ws.bufferedAmount > 0) break;
    }
    expect(ws.bufferedAmount).toBeGreaterThan(0);
    const drained = once(ws, 'drain');
    let got = 0;
    client.on('message', () => got++);
    const before = drains;
    peer.resume();
    await drained;
    expect(ws.bufferedAmount).toBe(0);
    expect(drains).toBeGreaterThan(before);
    while (got < sent) await once(client, 'message');
    expect(got).toBe(sent);
    client.close();
    await once(client, 'close');
  });
});
