// wss.broadcast writes a shared frame at once to a connection with nothing waiting (Sender.sendShared), as a
// bare socket.write loop would, and coalesces the rest of the tick: the bytes and their order on the wire,
// the number of socket writes, bufferedAmount and 'drain' when the kernel could not take everything.
import { once } from 'node:events';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocketServer } from '../src/server.js';
import { WebSocket } from '../src/websocket.js';
import { startServer } from './helpers.js';

let wss: WebSocketServer | null = null;
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await wss?.close();
  wss = null;
});

/** `n` clients of a fresh server, with the server side of each and what its socket is asked to write. */
async function crowd(n: number): Promise<Array<{ server: WebSocket; client: WebSocket; writes: Buffer[] }>> {
  const started = await startServer();
  wss = started.wss;
  const out: Array<{ server: WebSocket; client: WebSocket; writes: Buffer[] }> = [];
  for (let i = 0; i < n; i++) {
    const accepted = once(started.wss, 'connection') as Promise<[WebSocket]>;
    const client = new WebSocket(started.url, [], { maxPayload: 1024 * 1024 });
    clients.push(client);
    await once(client, 'open');
    const [server] = await accepted;
    const socket = (server as unknown as { _socket: net.Socket })._socket;
    const writes: Buffer[] = [];
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
      if (chunk.length > 0) writes.push(chunk); // not the empty write that marks a completion
      return write(chunk, ...rest);
    }) as typeof socket.write;
    out.push({ server, client, writes });
  }
  return out;
}

function messages(client: WebSocket, count: number): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve) => {
    client.on('message', (data) => {
      got.push((data as Buffer).toString());
      if (got.length === count) resolve(got);
    });
  });
}

describe('broadcast writes', () => {
  it('writes one shared frame at once to each idle connection: bufferedAmount 0, no drain', async () => {
    const conns = await crowd(3);
    let drains = 0;
    for (const c of conns) c.server.on('drain', () => drains++);
    const got = conns.map((c) => messages(c.client, 1));
    wss!.broadcast('now');
    // Written before broadcast() returns, the same Buffer object for everyone.
    for (const c of conns) {
      expect(c.writes.map((w) => w.toString('hex'))).toEqual(['81036e6f77']);
      expect(c.writes[0]).toBe(conns[0]!.writes[0]);
      expect(c.server.bufferedAmount).toBe(0);
    }
    expect(await Promise.all(got)).toEqual(conns.map(() => ['now']));
    expect(drains).toBe(0);
  });

  it('coalesces the rest of a burst: 100 broadcasts in one tick are 2 writes per connection, in order', async () => {
    const conns = await crowd(2);
    const got = conns.map((c) => messages(c.client, 100));
    for (let i = 0; i < 100; i++) wss!.broadcast(`m${i}`);
    const expected = Array.from({ length: 100 }, (_, i) => `m${i}`);
    expect(await Promise.all(got)).toEqual(conns.map(() => expected));
    for (const c of conns) expect(c.writes.length).toBe(2);
    // A later tick writes at once again.
    const next = messages(conns[0]!.client, 1); // a new listener: counts from here
    wss!.broadcast('again');
    expect(conns[0]!.writes.length).toBe(3);
    expect(await next).toEqual(['again']);
  });

  it('queues behind what the connection sent this tick (order kept, one write for the rest)', async () => {
    const [c] = await crowd(1);
    const got = messages(c!.client, 3);
    c!.server.send('first'); // the tick's first frame: written at once, as send() does
    wss!.broadcast('second');
    c!.server.send('third');
    expect(c!.writes.length).toBe(1); // the other two wait for this tick's flush
    expect(await got).toEqual(['first', 'second', 'third']);
    expect(c!.writes.length).toBe(2);
  });

  it('gives a connection that never sent anything no Sender: a broadcast keeps nothing per connection', async () => {
    const conns = await crowd(2);
    const got = conns.map((c) => messages(c.client, 2));
    wss!.broadcast('one');
    await new Promise((r) => setImmediate(r));
    wss!.broadcast('two');
    expect(await Promise.all(got)).toEqual([
      ['one', 'two'],
      ['one', 'two'],
    ]);
    for (const c of conns) {
      // One write per broadcast, each at once, and no output state created for it.
      expect(c.writes.map((w) => w.toString('hex'))).toEqual(['81036f6e65', '810374776f']);
      expect((c.server as unknown as { _sender: unknown })._sender).toBeNull();
      expect(c.server.bufferedAmount).toBe(0);
    }
  });

  it("holds a broadcast to the connection whose read is being handled until the read's end (one write)", async () => {
    const [reader, other] = await crowd(2);
    const got = messages(reader!.client, 2);
    const gotOther = messages(other!.client, 1);
    let otherWritesInHandler = -1;
    reader!.server.on('message', () => {
      wss!.broadcast('b');
      reader!.server.send('c');
      otherWritesInHandler = other!.writes.length;
      expect(reader!.writes.length).toBe(0); // both wait for the end of this read
    });
    reader!.client.send('go');
    expect(await got).toEqual(['b', 'c']);
    expect(await gotOther).toEqual(['b']);
    expect(otherWritesInHandler).toBe(1); // the other connection got it at once
    expect(reader!.writes.map((w) => w.toString('hex'))).toEqual(['810162810163']);
  });

  it('drops a broadcast into the closing window (socket ended, its close not come yet) without a socket error', async () => {
    const [c] = await crowd(1);
    const socket = (c!.server as unknown as { _socket: net.Socket })._socket;
    const socketErrors: unknown[] = [];
    socket.on('error', (e) => socketErrors.push(e));
    socket.end();
    expect(c!.server.readyState).toBe(WebSocket.OPEN);
    wss!.broadcast('late');
    await new Promise((r) => setImmediate(r));
    wss!.broadcast('later');
    await new Promise((r) => setImmediate(r));
    expect(c!.writes).toEqual([]);
    expect(socketErrors).toEqual([]);
  });

  it('queues a broadcast behind bytes the socket still holds from an earlier tick (order kept, one drain)', async () => {
    const [c] = await crowd(1);
    const peer = (c!.client as unknown as { _socket: net.Socket })._socket;
    peer.pause();
    const big = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    while (sent < 2000 && c!.server.bufferedAmount === 0) {
      c!.server.send(big);
      sent++;
      await new Promise((r) => setImmediate(r));
    }
    expect(c!.server.bufferedAmount).toBeGreaterThan(0);
    let drains = 0;
    c!.server.on('drain', () => drains++);
    const writes = c!.writes.length;
    wss!.broadcast('last');
    expect(c!.writes.length).toBe(writes); // not written at once: the socket is not done with the rest
    const got: string[] = [];
    const done = new Promise<void>((resolve) =>
      c!.client.on('message', (data) => {
        got.push((data as Buffer).length === big.length ? 'big' : (data as Buffer).toString());
        if (got.length === sent + 1) resolve();
      }),
    );
    peer.resume();
    await done;
    expect(got).toEqual([...Array.from({ length: sent }, () => 'big'), 'last']);
    await new Promise((r) => setImmediate(r));
    expect(c!.server.bufferedAmount).toBe(0);
    expect(drains).toBe(1);
  });

  it("ends in 'drain' when the kernel could not take a broadcast at once (peer not reading)", async () => {
    const [c] = await crowd(1);
    const peer = (c!.client as unknown as { _socket: net.Socket })._socket;
    peer.pause();
    const big = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    // One per turn, each written at once, until bytes wait in the socket.
    while (sent < 2000 && c!.server.bufferedAmount === 0) {
      wss!.broadcast(big);
      sent++;
      await new Promise((r) => setImmediate(r));
    }
    expect(c!.server.bufferedAmount).toBeGreaterThan(0);
    const drained = once(c!.server, 'drain');
    let got = 0;
    c!.client.on('message', () => got++);
    peer.resume();
    await drained;
    expect(c!.server.bufferedAmount).toBe(0);
    while (got < sent) await once(c!.client, 'message');
    expect(got).toBe(sent);
  });
});
