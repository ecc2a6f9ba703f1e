// IoServer over real sockets: port 0 and the bound port, a raw (TCP-level) component, maxConnections
// crossed by one, close() sending 1001 to WebSockets, and TLS (wss://) with a self-signed certificate
// made in the test by the openssl CLI.

import net from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer, IoServer, SessionProvider, WsServer } from '../src/index.js';
import { closed, echo, listen, nextMessage, openWs, selfSignedCert, until, type WS } from './helpers.js';

let server: IoServer | undefined;
const clients: WS[] = [];
afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  await server?.close();
  server = undefined;
});

describe('IoServer', () => {
  it('port 0 binds a free port, readable once run() resolves', async () => {
    server = IoServer.factory(new HttpServer(new WsServer(echo)), 0, '127.0.0.1');
    const ran = await server.run();
    expect(ran).toBe(server);
    expect(server.port).toBeGreaterThan(0);
    expect(server.address()?.address).toBe('127.0.0.1');
  });

  it('drives a raw TCP component (Ratchet IoServer without HttpServer): bytes in, bytes out', async () => {
    const events: string[] = [];
    server = IoServer.factory(
      {
        onOpen: (conn) => void events.push(`open ${conn.remoteAddress}`),
        onMessage: (conn, data) => {
          conn.send(Buffer.from(String(data).toUpperCase()));
          conn.close();
        },
        onClose: () => void events.push('close'),
      },
      0,
      '127.0.0.1',
    );
    await server.run();
    const reply = await new Promise<string>((resolve) => {
      let got = '';
      const s = net.connect(server!.port, '127.0.0.1', () => s.write('shout'));
      s.on('data', (d) => {
        got += d.toString();
      });
      s.on('close', () => resolve(got));
    });
    expect(reply).toBe('SHOUT');
    await until(() => events.length === 2);
    expect(events).toEqual(['open 127.0.0.1', 'close']);
  });

  it('maxConnections: N connections open, the N + 1st is closed at accept', async () => {
    server = IoServer.factory(new HttpServer(new WsServer(echo)), 0, '127.0.0.1', { maxConnections: 2 });
    const url = await listen(server);
    clients.push(await openWs(url), await openWs(url));
    const third = await new Promise<string>((resolve) => {
      const s = net.connect(server!.port, '127.0.0.1');
      let bytes = 0;
      s.on('data', (d) => {
        bytes += d.length;
      });
      s.on('error', () => {});
      s.on('close', () => resolve(`closed after ${bytes} bytes`));
    });
    expect(third).toBe('closed after 0 bytes');
    clients.shift()?.terminate();
    await until(() => server!.connections.size === 1);
    const again = await openWs(url);
    clients.push(again);
    again.send('room again');
    expect(await nextMessage(again)).toBe('room again');
  });

  it('close() closes WebSockets with 1001 and stops listening', async () => {
    const closes: number[] = [];
    server = IoServer.factory(
      new HttpServer(new WsServer({ onClose: (conn) => void closes.push(conn.id) })),
      0,
      '127.0.0.1',
    );
    const url = await listen(server);
    const ws = await openWs(url);
    const done = closed(ws);
    await server.close();
    expect(await done).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(closes).toHaveLength(1);
    await expect(openWs(url)).rejects.toThrow();
    server = undefined;
  });
});

describe('TLS (wss://)', () => {
  let key = '';
  let cert = '';
  beforeAll(() => {
    ({ key, cert } = selfSignedCert());
  });

  it('serves wss:// with IoServer.factory(component, port, address, { tls })', async () => {
    const seen: boolean[] = [];
    server = IoServer.factory(
      new HttpServer(
        new WsServer({
          onOpen: (conn) => void seen.push(conn.secure),
          onMessage: (conn, m) => void conn.send(m),
        }),
      ),
      0,
      '127.0.0.1',
      { tls: { key, cert } },
    );
    await server.run();
    const url = `wss://127.0.0.1:${server.port}`;
    const ws = await openWs(url, { ca: cert });
    clients.push(ws);
    ws.send('secret');
    expect(await nextMessage(ws)).toBe('secret');
    const bin = Buffer.from([1, 2, 3, 250]);
    ws.send(bin);
    expect(((await nextMessage(ws)) as Buffer).equals(bin)).toBe(true);
    expect(seen).toEqual([true]);
    // A client that does not trust the certificate fails the TLS handshake; nothing reaches the component.
    await expect(openWs(url)).rejects.toThrow(/self-signed|certificate/i);
    expect(seen).toEqual([true]);
  });

  it('a session cookie issued over TLS is Secure', async () => {
    server = IoServer.factory(
      new HttpServer(new SessionProvider(new WsServer({ onOpen: (conn) => void conn.send('in') }))),
      0,
      '127.0.0.1',
      { tls: { key, cert } },
    );
    await server.run();
    let cookie = '';
    const ws = await openWs(`wss://127.0.0.1:${server.port}`, { ca: cert }, undefined, (res) => {
      cookie = String(res.headers['set-cookie'] ?? '');
    });
    clients.push(ws);
    expect(await nextMessage(ws)).toBe('in');
    expect(cookie).toMatch(/^PWSESSID=[A-Za-z0-9_-]{32}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });
});
