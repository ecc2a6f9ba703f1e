// PreparedFrame + sendPrepared: a message framed once and written to many connections without a copy per
// connection (the same payload Buffer objects reach every socket), byte-correct on the wire, and compressed
// or masked where the connection needs it.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveLimits } from '../src/options.js';
import { PreparedFrame } from '../src/prepared-frame.js';
import type { WebSocketServer } from '../src/server.js';
import { WebSocket } from '../src/websocket.js';
import { collect, duplexPair, startServer } from './helpers.js';

let server: WebSocketServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

/** A server-side connection over an in-memory pair whose socket writes are recorded (chunk objects). */
function attached(): { ws: WebSocket; writes: Buffer[]; wire: ReturnType<typeof collect> } {
  const [local, remote] = duplexPair();
  const writes: Buffer[] = [];
  const write = local.write.bind(local);
  local.write = ((chunk: Buffer, ...rest: never[]) => {
    writes.push(chunk);
    return write(chunk, ...rest);
  }) as typeof local.write;
  const ws = new WebSocket(null);
  ws._attach(local, Buffer.alloc(0), { isServer: true, limits: resolveLimits({}), deflate: null });
  return { ws, writes, wire: collect(remote) };
}

describe('PreparedFrame', () => {
  it('builds the RFC 6455 header for the total length of its pieces (7-bit, 16-bit, 64-bit lengths)', () => {
    expect(new PreparedFrame(Buffer.from('hi')).header.toString('hex')).toBe('8102');
    expect(new PreparedFrame([Buffer.alloc(100), Buffer.alloc(25)]).header.toString('hex')).toBe('817d');
    expect(new PreparedFrame([Buffer.alloc(100), Buffer.alloc(26)]).header.toString('hex')).toBe('817e007e');
    const mid = new PreparedFrame([Buffer.alloc(200), Buffer.alloc(100)], true);
    expect(mid.header.toString('hex')).toBe('827e012c');
    expect(mid.length).toBe(300);
    const big = new PreparedFrame(Buffer.alloc(70_000));
    expect(big.header.toString('hex')).toBe('817f0000000000011170');
  });

  it('writes the same payload Buffer objects to every connection, and each peer gets exact bytes', async () => {
    const payload = Buffer.alloc(1024 * 1024, 'x');
    const prepared = new PreparedFrame([Buffer.from('['), payload, Buffer.from(']')]);
    const conns = Array.from({ length: 3 }, attached);
    for (const c of conns) c.ws.sendPrepared(prepared);
    // Written at once (one corked writev per connection); 'drain' only where the socket kept some of it.
    await Promise.all(conns.map((c) => (c.ws.bufferedAmount > 0 ? once(c.ws, 'drain') : undefined)));
    await new Promise((r) => setImmediate(r));
    const expected = Buffer.concat([prepared.header, Buffer.from('['), payload, Buffer.from(']')]);
    for (const c of conns) {
      // The 1 MiB payload went to the socket as the caller's object: no copy for this connection.
      expect(c.writes.some((w) => w === payload)).toBe(true);
      expect(c.wire.bytes().equals(expected)).toBe(true);
    }
  });

  it('a small frame is joined ONCE and written as one Buffer to every connection (no writev per socket)', async () => {
    const prepared = new PreparedFrame([Buffer.from('['), Buffer.from('"crowd"'), Buffer.from(']')]);
    const conns = Array.from({ length: 3 }, attached);
    for (const c of conns) c.ws.sendPrepared(prepared);
    await new Promise((r) => setImmediate(r));
    const expected = Buffer.concat([prepared.header, Buffer.from('["crowd"]')]);
    const joined = prepared.joined();
    expect(joined.equals(expected)).toBe(true);
    expect(prepared.joined()).toBe(joined); // made once
    for (const c of conns) {
      // One write of the shared joined Buffer, not the header and three pieces.
      expect(c.writes.filter((w) => w.length > 0)).toEqual([joined]);
      expect(c.writes.find((w) => w.length > 0)).toBe(joined);
      expect(c.wire.bytes().equals(expected)).toBe(true);
    }
  });

  it('arrives as one text message at a real client, small or large, and keeps order with send()', async () => {
    const started = await startServer();
    server = started.wss;
    const serverSide = new Promise<WebSocket>((r) => started.wss.once('connection', (ws) => r(ws)));
    const client = new WebSocket(started.url, [], { maxPayload: 4 * 1024 * 1024 });
    await once(client, 'open');
    const ws = await serverSide;
    const got: string[] = [];
    const done = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        got.push((data as Buffer).toString('utf8'));
        if (got.length === 3) resolve();
      }),
    );
    const big = 'é'.repeat(200_000);
    ws.send('first');
    ws.sendPrepared(new PreparedFrame([Buffer.from('["'), Buffer.from(big), Buffer.from('"]')]));
    ws.sendPrepared(new PreparedFrame(Buffer.from('small')));
    await done;
    expect(got).toEqual(['first', `["${big}"]`, 'small']);
    client.close();
    await once(client, 'close');
  });

  it('is compressed on a permessage-deflate connection (RFC 7692), and masked when a client sends it', async () => {
    const started = await startServer({ perMessageDeflate: true, maxPayload: 4 * 1024 * 1024 });
    server = started.wss;
    const serverSide = new Promise<WebSocket>((r) => started.wss.once('connection', (ws) => r(ws)));
    const client = new WebSocket(started.url, [], { perMessageDeflate: true, maxPayload: 4 * 1024 * 1024 });
    await once(client, 'open');
    const ws = await serverSide;
    const payload = Buffer.alloc(512 * 1024, 'a');
    const received = once(client, 'message');
    ws.sendPrepared(new PreparedFrame([payload, Buffer.from('b')]));
    const [data] = (await received) as [Buffer];
    expect(data.equals(Buffer.concat([payload, Buffer.from('b')]))).toBe(true);
    const echoed = once(ws, 'message');
    client.sendPrepared(new PreparedFrame([Buffer.from('from '), Buffer.from('client')]));
    const [back] = (await echoed) as [Buffer];
    expect(back.toString()).toBe('from client');
    client.close();
    await once(client, 'close');
  });

  it('before open it throws; on a closed connection the callback gets an error and nothing is written', async () => {
    const unopened = new WebSocket(null);
    expect(() => unopened.sendPrepared(new PreparedFrame(Buffer.from('x')))).toThrow(
      /before the connection is open/,
    );
    const c = attached();
    c.ws.terminate();
    const err = await new Promise<Error | undefined>((resolve) =>
      c.ws.sendPrepared(new PreparedFrame(Buffer.from('x')), resolve),
    );
    expect(err?.message).toMatch(/closing or closed/);
  });
});
