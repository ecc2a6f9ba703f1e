// The remaining limits, each crossed: IoServer closeTimeout (a peer that never answers the close
// handshake is destroyed), tlsHandshakeTimeout (a peer that never starts TLS), MemorySessionStore ttl
// (fake clock); and the diagnostics channels that report refusals and unhandled errors.

import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DIAGNOSTICS_CHANNELS,
  HttpServer,
  IoServer,
  IpBlackList,
  MemorySessionStore,
  Router,
  WsServer,
} from '../src/index.js';
import { listen, rawExchange, rawUntil, refusedStatus, selfSignedCert, upgradeRequest } from './helpers.js';

let server: IoServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

const UPGRADE = upgradeRequest();

describe('IoServer deadlines', () => {
  it('closeTimeout: a peer that never answers the close frame is destroyed, and close() resolves', async () => {
    server = IoServer.factory(new HttpServer(new WsServer({})), 0, '127.0.0.1', { closeTimeout: 100 });
    await listen(server);
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write(UPGRADE));
    await new Promise<void>((r) => socket.once('data', () => r()));
    const gone = new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      socket.on('data', (d) => chunks.push(d));
      socket.on('close', () => resolve(Buffer.concat(chunks)));
    });
    socket.on('error', () => {});
    await server.close(); // would wait for the websocket layer's 30 s close timeout without closeTimeout
    const received = await gone;
    expect(received[0]).toBe(0x88); // the 1001 close frame was sent first
    expect(received.readUInt16BE(2)).toBe(1001);
    server = undefined;
  });

  it('tlsHandshakeTimeout: a TCP peer that never starts TLS is dropped', async () => {
    const tls = selfSignedCert();
    let opens = 0;
    server = IoServer.factory({ onOpen: () => void opens++ }, 0, '127.0.0.1', {
      tls,
      tlsHandshakeTimeout: 100,
    });
    await server.run();
    const received = await rawExchange(server.port, Buffer.alloc(0)); // connects, sends nothing
    expect(received.length).toBe(0);
    expect(opens).toBe(0);
  });
});

describe('MemorySessionStore ttl', () => {
  it('a session idle for ttl ms is gone; one touched before is kept', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = new MemorySessionStore({ ttl: 1000 });
    store.save('a', { n: 1 });
    store.save('b', { n: 2 });
    vi.advanceTimersByTime(999);
    expect(store.load('b')).toEqual({ n: 2 }); // touched: lives 1000 ms more
    vi.advanceTimersByTime(1);
    expect(store.load('a')).toBeUndefined();
    expect(store.size).toBe(1);
    vi.advanceTimersByTime(998); // 1999 ms after the save, 999 ms after the touch
    expect(store.load('b')).toEqual({ n: 2 });
    vi.advanceTimersByTime(1000);
    expect(store.load('b')).toBeUndefined();
  });
});

describe('diagnostics channels', () => {
  it('report refusals at accept, HTTP refusals and errors no component handled', async () => {
    const seen: string[] = [];
    const onRefused = (m: unknown): void => void seen.push(`refused ${(m as { reason: string }).reason}`);
    const onHttp = (m: unknown): void => void seen.push(`http ${(m as { status: number }).status}`);
    const onError = (m: unknown): void => void seen.push(`error ${(m as { error: Error }).error.message}`);
    diagnostics.subscribe(DIAGNOSTICS_CHANNELS.refused, onRefused);
    diagnostics.subscribe(DIAGNOSTICS_CHANNELS.httpRefused, onHttp);
    diagnostics.subscribe(DIAGNOSTICS_CHANNELS.error, onError);
    try {
      const list = new IpBlackList(
        new HttpServer(
          new Router({
            '/boom': new WsServer({
              onMessage: () => {
                throw new Error('no onError here');
              },
            }),
          }),
        ),
      );
      server = IoServer.factory(list, 0, '127.0.0.1');
      const url = await listen(server);
      expect(await refusedStatus(`${url}/missing`)).toBe(404);
      list.blockAddress('127.0.0.1');
      await rawExchange(server.port, 'x');
      list.unblockAddress('127.0.0.1');
      const { encodeFrame, OPCODE } = await import('@pushwire/websocket');
      const req = UPGRADE.replace('GET / ', 'GET /boom ');
      const closed = await rawUntil(
        server.port,
        Buffer.concat([Buffer.from(req), encodeFrame(OPCODE.TEXT, 'x', { mask: true })]),
        (b) => b.includes(Buffer.from([0x88])),
      );
      expect(closed.toString('latin1')).toContain('101');
      expect(seen).toEqual(['http 404', 'refused not-admitted', 'error no onError here']);
    } finally {
      diagnostics.unsubscribe(DIAGNOSTICS_CHANNELS.refused, onRefused);
      diagnostics.unsubscribe(DIAGNOSTICS_CHANNELS.httpRefused, onHttp);
      diagnostics.unsubscribe(DIAGNOSTICS_CHANNELS.error, onError);
    }
  });
});
