// WsServer over real sockets: errors in handlers (throw, rejected promise) reach onError while other
// connections carry on; a throw in onOpen closes with 1011; an async onOpen holds messages until it
// settles (maxPendingMessages crossed by one); binary round trip; maxPayload crossed by one (1009);
// subprotocols; keep-alive closes a silent peer (fake timers).

import { encodeFrame, OPCODE } from '@pushwire/websocket';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Component, HttpServer, IoServer, WsServer, type WsServerOptions } from '../src/index.js';
import {
  closed,
  listen,
  nextMessage,
  openWs,
  rawUntil,
  refusedStatus,
  until,
  upgradeRequest,
  type WS,
} from './helpers.js';

const UPGRADE = upgradeRequest();

let server: IoServer | undefined;
const clients: WS[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const ws of clients.splice(0)) ws.terminate();
  await server?.close();
  server = undefined;
});

async function serve(component: Component, options?: WsServerOptions): Promise<string> {
  server = IoServer.factory(new HttpServer(new WsServer(component, options)), 0, '127.0.0.1');
  return listen(server);
}

async function client(url: string, protocols?: string[]): Promise<WS> {
  const ws = await openWs(url, {}, protocols);
  clients.push(ws);
  return ws;
}

describe('errors in components', () => {
  it('a throw and a rejected promise in onMessage reach onError; other connections carry on', async () => {
    const errors: string[] = [];
    const url = await serve({
      onMessage(conn, msg) {
        if (msg === 'throw') throw new Error('sync boom');
        if (msg === 'reject') return Promise.reject(new Error('async boom'));
        conn.send(`ok ${String(msg)}`);
      },
      onError(conn, err) {
        errors.push(`${conn.id}: ${err.message}`);
        conn.send(`error ${err.message}`);
      },
    });
    const a = await client(url);
    const b = await client(url);
    a.send('throw');
    expect(await nextMessage(a)).toBe('error sync boom');
    b.send('hello');
    expect(await nextMessage(b)).toBe('ok hello');
    a.send('reject');
    expect(await nextMessage(a)).toBe('error async boom');
    a.send('still here');
    expect(await nextMessage(a)).toBe('ok still here');
    b.send('again');
    expect(await nextMessage(b)).toBe('ok again');
    expect(errors).toHaveLength(2);
  });

  it('a component that throws in onOpen gets that connection closed with 1011; others are fine', async () => {
    let n = 0;
    const errors: string[] = [];
    const url = await serve({
      onOpen(conn) {
        n++;
        if (n === 1) throw new Error('bad component');
        conn.send('welcome');
      },
      onMessage: (conn, m) => void conn.send(m),
      onError: (_conn, err) => void errors.push(err.message),
    });
    const bad = await client(url);
    expect(await closed(bad)).toEqual({ code: 1011, reason: 'internal error' });
    expect(errors).toEqual(['bad component']);
    const good = await client(url);
    expect(await nextMessage(good)).toBe('welcome');
    good.send('echo');
    expect(await nextMessage(good)).toBe('echo');
  });

  it('a rejected async onOpen closes with 1011 too; an onError that throws closes with 1011', async () => {
    const url = await serve({
      onOpen: async (conn) => {
        if (conn.request?.query.get('fail') === '1') throw new Error('nope');
      },
      onMessage: () => {
        throw new Error('first');
      },
      onError: (_conn, err) => {
        if (err.message === 'first') throw new Error('onError failed too');
      },
    });
    const a = await client(`${url}/?fail=1`);
    expect((await closed(a)).code).toBe(1011);
    const b = await client(url);
    b.send('x');
    expect((await closed(b)).code).toBe(1011);
  });

  it('an async onOpen holds messages until it settles, in order', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const url = await serve({
      onOpen: async (conn) => {
        await gate;
        conn.send('ready');
      },
      onMessage: (conn, m) => void conn.send(`got ${String(m)}`),
    });
    const ws = await client(url);
    ws.send('1');
    ws.send('2');
    await new Promise((r) => setImmediate(r));
    release();
    expect(await nextMessage(ws)).toBe('ready');
    expect(await nextMessage(ws)).toBe('got 1');
    expect(await nextMessage(ws)).toBe('got 2');
  });

  it('maxPendingMessages: N messages may wait for onOpen, N + 1 closes with 1008', async () => {
    const gates: (() => void)[] = [];
    const url = await serve(
      {
        onOpen: () => new Promise<void>((r) => gates.push(r)),
        onMessage: (conn, m) => void conn.send(m),
      },
      { maxPendingMessages: 2 },
    );
    const ok = await client(url);
    ok.send('a');
    ok.send('b');
    // The upgrade request and three frames in ONE write: all three are read with the head, before the
    // pause for the pending onOpen can hold them back.
    const frames = (n: number): Buffer =>
      Buffer.concat([
        Buffer.from(UPGRADE),
        ...Array.from({ length: n }, (_, i) => encodeFrame(OPCODE.TEXT, String(i), { mask: true })),
      ]);
    const port = server!.port;
    const afterHead = (b: Buffer): Buffer => b.subarray(b.indexOf('\r\n\r\n') + 4);
    const over = await rawUntil(port, frames(3), (b) => afterHead(b).length >= 4);
    // 101, then a close frame (0x88) with 1008.
    expect(over.toString('latin1')).toContain('101 Switching Protocols');
    expect(afterHead(over)[0]).toBe(0x88);
    expect(afterHead(over).readUInt16BE(2)).toBe(1008);
    // Two held messages are within the bound: once onOpen settles, both are echoed, nothing is closed.
    const within = rawUntil(port, frames(2), (b) => afterHead(b).length >= 6);
    await until(() => gates.length === 3);
    for (const g of gates) g();
    const echoed = afterHead(await within);
    expect([...echoed.subarray(0, 6)]).toEqual([0x81, 1, 0x30, 0x81, 1, 0x31]);
    expect(await nextMessage(ok)).toBe('a');
    expect(await nextMessage(ok)).toBe('b');
  });
});

describe('messages', () => {
  it('binary messages arrive as Buffers and go back as binary; text stays text', async () => {
    const seen: string[] = [];
    const url = await serve({
      onMessage(conn, m) {
        seen.push(Buffer.isBuffer(m) ? `binary ${m.length}` : `text ${m}`);
        conn.send(m);
      },
    });
    const ws = await client(url);
    const photo = Buffer.from([0, 1, 2, 253, 254, 255, 0x89, 0x50, 0x4e, 0x47]);
    ws.send(photo);
    const back = await nextMessage(ws);
    expect(Buffer.isBuffer(back)).toBe(true);
    expect((back as Buffer).equals(photo)).toBe(true);
    ws.send('héllo');
    expect(await nextMessage(ws)).toBe('héllo');
    expect(seen).toEqual(['binary 10', 'text héllo']);
  });

  it('maxPayload: a message of N bytes passes, N + 1 closes with 1009', async () => {
    const url = await serve({ onMessage: (conn, m) => void conn.send(m) }, { maxPayload: 1000 });
    const ws = await client(url);
    ws.send(Buffer.alloc(1000, 7));
    expect(((await nextMessage(ws)) as Buffer).length).toBe(1000);
    ws.send(Buffer.alloc(1001, 7));
    expect((await closed(ws)).code).toBe(1009);
  });

  it('subprotocols: the first of ours the client offers; none of ours refused with 400', async () => {
    const url = await serve(
      { subprotocols: ['chat.v2'], onOpen: (conn) => void conn.send(conn.protocol) },
      {
        subprotocols: ['chat.v3'],
      },
    );
    const ws = await client(url, ['chat.v1', 'chat.v2', 'chat.v3']);
    expect(ws.protocol).toBe('chat.v3');
    expect(await nextMessage(ws)).toBe('chat.v3');
    const { default: WSClient } = await import('ws');
    const status = await new Promise<number>((resolve) => {
      const r = new WSClient(url, ['other']);
      r.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      r.on('error', () => {});
    });
    expect(status).toBe(400);
    expect(
      await refusedStatus(url.replace('ws:', 'ws:'), { headers: { 'Sec-WebSocket-Protocol': 'x' } }),
    ).toBe(400);
  });

  it('the WebSocket close code and reason the component gives reach the peer', async () => {
    const url = await serve({ onMessage: (conn) => conn.close(4000, 'bye now') });
    const ws = await client(url);
    ws.send('x');
    expect(await closed(ws)).toEqual({ code: 4000, reason: 'bye now' });
  });
});

describe('keep-alive', () => {
  it('closes a peer that does not answer pings; a peer that answers stays', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const closes: number[] = [];
    const url = await serve(
      { onClose: (conn) => void closes.push(conn.id), onMessage: (conn, m) => void conn.send(m) },
      { keepAlive: 1000 },
    );
    const { default: WSClient } = await import('ws');
    const silent = new WSClient(url, { autoPong: false });
    clients.push(silent);
    await new Promise<void>((r) => silent.once('open', () => r()));
    const alive = await client(url);
    let alivePings = 0;
    alive.on('ping', () => alivePings++);
    let pings = 0;
    silent.on('ping', () => pings++);
    const silentClosed = closed(silent);
    await vi.advanceTimersByTimeAsync(1000); // first ping
    await until(() => pings === 1);
    await vi.advanceTimersByTimeAsync(1000); // no pong: terminated
    expect((await silentClosed).code).toBe(1006);
    await until(() => closes.length === 1);
    expect(alive.readyState).toBe(1);
    // The live peer answers every ping: its pong is written before the echo it then waits for (TCP order),
    // so the server has seen the pong before the next interval.
    for (let i = 0; i < 3; i++) {
      const before = alivePings;
      alive.send(`round ${i}`);
      expect(await nextMessage(alive)).toBe(`round ${i}`);
      await vi.advanceTimersByTimeAsync(1000);
      await until(() => alivePings === before + 1 || alive.readyState !== 1);
    }
    alive.send('still');
    expect(await nextMessage(alive)).toBe('still');
    expect(alive.readyState).toBe(1);
  });

  it('keepAlive must be a positive integer or false', () => {
    expect(() => new WsServer({}, { keepAlive: 0 })).toThrow(TypeError);
    expect(() => new WsServer({}, { keepAlive: false })).not.toThrow();
  });
});
