// OriginCheck (403 / allowed) and IpBlackList (address, CIDR, IPv6; closed at accept before any byte is
// read; unblocked works again), over real sockets.

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Connection,
  HttpServer,
  IoServer,
  IpBlackList,
  OriginCheck,
  parseBlockEntry,
  Router,
  WsServer,
} from '../src/index.js';
import { echo, listen, nextMessage, openWs, refusedStatus } from './helpers.js';

let server: IoServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('OriginCheck', () => {
  it('refuses other origins with 403 and lets allowed ones through', async () => {
    const check = new OriginCheck(new WsServer(echo), ['https://app.example.com', 'example.org']);
    server = IoServer.factory(new HttpServer(check), 0, '127.0.0.1');
    const url = await listen(server);
    expect(await refusedStatus(url, { origin: 'https://evil.example.net' })).toBe(403);
    expect(await refusedStatus(url, { origin: 'http://app.example.com' })).toBe(403); // scheme differs
    expect(await refusedStatus(url, { origin: 'null' })).toBe(403);
    expect(await refusedStatus(url)).toBe(403); // no Origin at all
    const a = await openWs(url, { origin: 'https://app.example.com' });
    a.send('one');
    expect(await nextMessage(a)).toBe('one');
    a.terminate();
    const b = await openWs(url, { origin: 'http://example.org:8080' }); // a host entry: any scheme and port
    b.terminate();
  });

  it('allowMissingOrigin lets non-browser clients in; * allows every origin', () => {
    const lax = new OriginCheck(new WsServer(echo), ['example.com'], { allowMissingOrigin: true });
    expect(lax.allows(undefined)).toBe(true);
    const strict = new OriginCheck(new WsServer(echo), ['example.com']);
    expect(strict.allows(undefined, true)).toBe(false); // a WebSocket handshake without Origin
    expect(strict.allows(undefined, false)).toBe(true); // a page navigation (no Origin sent)
    expect(strict.allows('https://evil.test', false)).toBe(false);
    expect(lax.allows('https://other.com')).toBe(false);
    const any = new OriginCheck(new WsServer(echo), ['*']);
    expect(any.allows('https://whatever.test')).toBe(true);
  });
});

describe('IpBlackList', () => {
  it('parses addresses and CIDR ranges, refuses garbage', () => {
    expect(parseBlockEntry('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseBlockEntry('::ffff:1.2.3.4')).toEqual({ address: '1.2.3.4', prefix: 32, family: 'ipv4' });
    expect(parseBlockEntry('2001:db8::/32').family).toBe('ipv6');
    expect(() => parseBlockEntry('10.0.0.0/33')).toThrow(TypeError);
    expect(() => parseBlockEntry('not-an-ip')).toThrow(TypeError);
    const list = new IpBlackList(echo).blockAddress('10.0.0.0/8').blockAddress('2001:db8::/32');
    expect(list.isBlocked('10.200.3.4')).toBe(true);
    expect(list.isBlocked('::ffff:10.1.1.1')).toBe(true);
    expect(list.isBlocked('11.0.0.1')).toBe(false);
    expect(list.isBlocked('2001:db8:1::5')).toBe(true);
    expect(list.isBlocked('2001:db9::5')).toBe(false);
  });

  it('maxEntries: N entries are held, N + 1 throws', () => {
    const list = new IpBlackList(echo, { maxEntries: 2 });
    list.blockAddress('1.1.1.1').blockAddress('1.1.1.2').blockAddress('1.1.1.1'); // a repeat is not new
    expect(() => list.blockAddress('1.1.1.3')).toThrow(RangeError);
  });

  /** Connects raw and reports whether the server wrote anything before closing. */
  function rawProbe(port: number, host = '127.0.0.1'): Promise<{ bytes: number; closed: boolean }> {
    return new Promise((resolve) => {
      let bytes = 0;
      const socket = net.connect(port, host, () => {
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      });
      socket.on('data', (d) => {
        bytes += d.length;
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve({ bytes, closed: true }));
    });
  }

  it('closes a blocked address and a blocked range before any parsing; unblocked works again', async () => {
    let httpOpens = 0;
    const ws = new WsServer(echo);
    const inner = new HttpServer(new Router({ '/': ws }));
    const counting = {
      onOpen: (conn: Connection) => {
        httpOpens++;
        return inner.onOpen(conn);
      },
      onClose: (conn: Connection) => inner.onClose(conn),
      onError: (conn: Connection, e: Error) => inner.onError(conn, e),
    };
    const list = new IpBlackList(counting);
    server = IoServer.factory(list, 0, '127.0.0.1');
    const url = await listen(server);
    const ok = await openWs(url);
    ok.terminate();
    expect(httpOpens).toBe(1);

    list.blockAddress('127.0.0.1');
    expect(await rawProbe(server.port)).toEqual({ bytes: 0, closed: true });
    expect(httpOpens).toBe(1); // HttpServer never saw it

    list.unblockAddress('127.0.0.1').blockAddress('127.0.0.0/8');
    expect(await rawProbe(server.port)).toEqual({ bytes: 0, closed: true });
    expect(httpOpens).toBe(1);

    list.unblockAddress('127.0.0.0/8');
    const again = await openWs(url);
    again.send('back');
    expect(await nextMessage(again)).toBe('back');
    again.terminate();
    expect(httpOpens).toBe(2);
  });

  it('blocks IPv6 peers (::1)', async () => {
    const list = new IpBlackList(new HttpServer(new WsServer(echo)));
    server = IoServer.factory(list, 0, '::1');
    await server.run();
    list.blockAddress('::1');
    expect(await rawProbe(server.port, '::1')).toEqual({ bytes: 0, closed: true });
    list.unblockAddress('::1');
    const ws = await openWs(`ws://[::1]:${server.port}`);
    ws.send('v6');
    expect(await nextMessage(ws)).toBe('v6');
    ws.terminate();
  });
});
