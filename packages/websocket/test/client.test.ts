// The Node client: handshake checks against scripted servers (RFC 6455 4.1), and interop with `ws`.
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import { acceptKey } from '../src/handshake-key.js';
import { WebSocket } from '../src/websocket.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** An http server that answers upgrades with whatever `answer` writes. */
async function scripted(answer: (req: http.IncomingMessage, socket: net.Socket) => void): Promise<string> {
  const server = http.createServer((_req, res) => res.writeHead(403).end('no'));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => sockets.add(s));
  server.on('upgrade', (req, socket) => answer(req, socket as net.Socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
}

function accept(req: http.IncomingMessage, extra = ''): string {
  return (
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${acceptKey(req.headers['sec-websocket-key'] as string)}\r\n${extra}\r\n`
  );
}

async function failure(
  url: string,
  protocols: string[] = [],
  options = {},
): Promise<[string | undefined, number]> {
  const ws = new WebSocket(url, protocols, options);
  let code: string | undefined;
  ws.on('error', (err) => {
    code = (err as { code?: string }).code;
  });
  // events.once() would reject on 'error'; the close must follow the error.
  const closeCode = await new Promise<number>((r) => ws.once('close', (c) => r(c)));
  expect(ws.readyState).toBe(WebSocket.CLOSED);
  return [code, closeCode];
}

describe('client handshake checks', () => {
  it('sends a well-formed request with extra headers and origin', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const url = await scripted((req, socket) => {
      seen = req.headers;
      socket.write(accept(req, 'Sec-WebSocket-Protocol: chat\r\n'));
    });
    const ws = new WebSocket(url, ['chat', 'superchat'], {
      headers: { 'X-Token': 'abc' },
      origin: 'https://o.example',
    });
    cleanup.push(() => ws.terminate());
    await once(ws, 'open');
    expect(ws.protocol).toBe('chat');
    expect(seen['x-token']).toBe('abc');
    expect(seen.origin).toBe('https://o.example');
    expect(seen['sec-websocket-version']).toBe('13');
    expect(seen['sec-websocket-protocol']).toBe('chat, superchat');
    expect(Buffer.from(seen['sec-websocket-key'] as string, 'base64').length).toBe(16);
  });

  it('delivers frames that arrive in the same segment as the 101 (after open)', async () => {
    const url = await scripted((req, socket) =>
      socket.write(Buffer.concat([Buffer.from(accept(req)), Buffer.from('810568656c6c6f', 'hex')])),
    );
    const ws = new WebSocket(url);
    cleanup.push(() => ws.terminate());
    const order: string[] = [];
    ws.on('open', () => order.push('open'));
    const [data] = (await once(ws, 'message')) as [Buffer];
    order.push(data.toString());
    expect(order).toEqual(['open', 'hello']);
  });

  it('fails on a wrong Sec-WebSocket-Accept: error then close 1006', async () => {
    const url = await scripted((_req, socket) =>
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=\r\n\r\n',
      ),
    );
    expect(await failure(url)).toEqual(['WS_ERR_HANDSHAKE_FAILED', 1006]);
  });

  it('fails on a subprotocol that was not offered', async () => {
    const url = await scripted((req, socket) =>
      socket.write(accept(req, 'Sec-WebSocket-Protocol: other\r\n')),
    );
    expect(await failure(url, ['chat'])).toEqual(['WS_ERR_HANDSHAKE_FAILED', 1006]);
  });

  it('fails on an extension that was not offered', async () => {
    const url = await scripted((req, socket) =>
      socket.write(accept(req, 'Sec-WebSocket-Extensions: x-foo\r\n')),
    );
    expect(await failure(url)).toEqual(['WS_ERR_INVALID_EXTENSION', 1006]);
  });

  it('fails on a non-101 answer', async () => {
    const url = await scripted((_req, socket) =>
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'),
    );
    expect(await failure(url)).toEqual(['WS_ERR_HANDSHAKE_FAILED', 1006]);
  });

  it('fails after handshakeTimeout when the server never answers', async () => {
    const url = await scripted(() => {});
    const started = Date.now();
    expect(await failure(url, [], { handshakeTimeout: 200 })).toEqual(['WS_ERR_HANDSHAKE_TIMEOUT', 1006]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('refuses bad URLs and subprotocol lists synchronously', () => {
    expect(() => new WebSocket('ftp://x/')).toThrow(/scheme/);
    expect(() => new WebSocket('ws://x/#frag')).toThrow(/fragment/);
    expect(() => new WebSocket('not a url')).toThrow(/invalid URL/);
    expect(() => new WebSocket('ws://127.0.0.1:1/', ['a', 'a'])).toThrow(SyntaxError);
  });

  it('close() while connecting aborts with 1006', async () => {
    const url = await scripted(() => {});
    const ws = new WebSocket(url);
    const errors: string[] = [];
    ws.onerror = (ev) => errors.push(ev.message);
    const closed = new Promise<number>((r) => ws.addEventListener('close', (ev) => r(ev.code)));
    ws.close();
    expect(await closed).toBe(1006);
    expect(errors).toEqual(['closed before the connection was established']);
  });
});

describe('interop with the ws server', () => {
  it('exchanges text, binary and pings; client frames are masked; close handshake completes', async () => {
    const wss = new WsServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    cleanup.push(() => new Promise((r) => wss.close(r)));
    wss.on('connection', (peer) => peer.on('message', (d, isBinary) => peer.send(d, { binary: isBinary })));
    const serverClose = new Promise<[number, string]>((r) =>
      wss.on('connection', (peer) => peer.on('close', (c, reason) => r([c, reason.toString()]))),
    );
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}/`);
    await once(ws, 'open');
    ws.send('héllo');
    const [text, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    expect([text.toString(), isBinary]).toEqual(['héllo', false]);
    const big = Buffer.alloc(1_000_000, 3);
    ws.send(big);
    const [bin] = (await once(ws, 'message')) as [Buffer];
    expect(bin.equals(big)).toBe(true);
    ws.ping('hi');
    expect(((await once(ws, 'pong')) as [Buffer])[0].toString()).toBe('hi');
    const closed = once(ws, 'close');
    ws.close(4001, 'done');
    expect(await serverClose).toEqual([4001, 'done']);
    const [code, reason] = (await closed) as [number, Buffer];
    expect([code, reason.toString()]).toEqual([4001, 'done']);
  });
});
