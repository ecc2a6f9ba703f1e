// permessage-deflate wired into the handshake and the connection (RFC 7692), both roles, against ws too.
import { once } from 'node:events';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WsClient, { WebSocketServer as WsServer } from 'ws';
import { WebSocket } from '../../src/websocket.js';
import { startServer } from '../helpers.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function echoServer(perMessageDeflate: unknown = true, extra = {}) {
  const s = await startServer({ perMessageDeflate: perMessageDeflate as boolean, ...extra });
  cleanup.push(() => s.wss.close());
  s.wss.on('connection', (ws) => ws.on('message', (d, b) => ws.send(b ? (d as Buffer) : d.toString())));
  return s;
}

const message = (ws: WebSocket) =>
  new Promise<[Buffer, boolean]>((r) => ws.once('message', (d, b) => r([d as Buffer, b])));

describe('permessage-deflate end to end', () => {
  it('negotiates between our client and our server and round-trips compressed text and binary', async () => {
    const { url } = await echoServer();
    const ws = new WebSocket(url, [], { perMessageDeflate: true });
    cleanup.push(() => ws.terminate());
    await once(ws, 'open');
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    const text = 'compress me '.repeat(1000);
    ws.send(text);
    const [t, tb] = await message(ws);
    expect([t.toString(), tb]).toEqual([text, false]);
    const bin = Buffer.alloc(100_000, 0x5a);
    ws.send(bin);
    const [b, bb] = await message(ws);
    expect(b.equals(bin) && bb).toBe(true);
    ws.send('small');
    expect((await message(ws))[0].toString()).toBe('small');
  });

  it('compresses on the wire: the ws client sees RSV1 frames smaller than the text', async () => {
    const { url } = await echoServer();
    const peer = new WsClient(url, { perMessageDeflate: true });
    cleanup.push(() => peer.terminate());
    await once(peer, 'open');
    expect(peer.extensions).toContain('permessage-deflate');
    let wireBytes = 0;
    (peer as unknown as { _socket: net.Socket })._socket.on('data', (c: Buffer) => {
      wireBytes += c.length;
    });
    const text = 'a'.repeat(50_000);
    peer.send(text);
    const [data] = (await once(peer, 'message')) as [Buffer];
    expect(data.toString()).toBe(text);
    expect(wireBytes).toBeLessThan(1000);
  });

  it('does not negotiate when the server has it off (default)', async () => {
    const { url } = await echoServer(false);
    const ws = new WebSocket(url, [], { perMessageDeflate: true });
    cleanup.push(() => ws.terminate());
    await once(ws, 'open');
    expect(ws.extensions).toBe('');
    ws.send('x'.repeat(5000));
    expect((await message(ws))[0].length).toBe(5000);
  });

  it('our client against the ws server with deflate', async () => {
    const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
    await once(wss, 'listening');
    cleanup.push(() => new Promise((r) => wss.close(r)));
    wss.on('connection', (p) => p.on('message', (d, isBinary) => p.send(d, { binary: isBinary })));
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}/`, [], {
      perMessageDeflate: true,
    });
    cleanup.push(() => ws.terminate());
    await once(ws, 'open');
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    for (const text of ['one', 'two '.repeat(3000), 'three']) {
      ws.send(text);
      expect((await message(ws))[0].toString()).toBe(text);
    }
  });

  it('broadcast reaches deflate and plain clients alike', async () => {
    const { wss, url } = await echoServer(true);
    const a = new WebSocket(url, [], { perMessageDeflate: true });
    const b = new WebSocket(url);
    cleanup.push(
      () => a.terminate(),
      () => b.terminate(),
    );
    await Promise.all([once(a, 'open'), once(b, 'open')]);
    for (const payload of ['short', 'long '.repeat(2000)]) {
      const got = Promise.all([message(a), message(b)]);
      wss.broadcast(payload);
      const [[da], [db]] = await got;
      expect([da.toString(), db.toString()]).toEqual([payload, payload]);
    }
  });

  it('caps the inflated size: a zip bomb closes with 1009', async () => {
    const { url } = await echoServer(true, { maxPayload: 10_000 });
    const peer = new WsClient(url, { perMessageDeflate: true });
    cleanup.push(() => peer.terminate());
    await once(peer, 'open');
    const closed = new Promise<number>((r) => peer.on('close', (c) => r(c)));
    peer.send(Buffer.alloc(10_001)); // a few dozen bytes compressed, one byte over once inflated
    expect(await closed).toBe(1009);
  });
});
