// HttpServer and Router over real sockets: 431 past maxHeaderSize (exactly by one), 400 for garbage,
// 413 past maxBodySize (by one), 408 past headersTimeout, 404 / 405 from the Router, 426 for a plain GET
// on a WebSocket route.

import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Connection,
  type HttpComponent,
  type HttpRequest,
  HttpServer,
  IoServer,
  Router,
  WsServer,
} from '../src/index.js';
import {
  echo,
  firstReply,
  listen,
  nextMessage,
  openWs,
  rawExchange,
  refusedStatus,
  until,
  upgradeRequest,
} from './helpers.js';

let server: IoServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

const statusLine = (b: Buffer): string => b.toString('latin1').split('\r\n')[0] ?? '';

/** An HTTP controller: POST bodies are echoed back with their length. */
class BodyEcho implements HttpComponent {
  readonly httpComponent = true as const;
  async onOpen(_conn: Connection, request: HttpRequest): Promise<void> {
    const body = await request.body();
    request.respond(200, `got ${body.length}`);
  }
}

describe('HttpServer limits', () => {
  it('maxHeaderSize: a head of N bytes passes, N + 1 gets 431', async () => {
    server = IoServer.factory(new HttpServer(new WsServer(echo), { maxHeaderSize: 1024 }), 0, '127.0.0.1');
    await listen(server);
    const padded = (n: number): string => upgradeRequest('/', `X-Pad: ${'a'.repeat(n)}\r\n`);
    const headOf = (n: number): number => padded(n).length - 2;
    const n = 1024 - headOf(0);
    expect(headOf(n)).toBe(1024);
    const ok = statusLine(await firstReply(server.port, padded(n)));
    expect(ok).toBe('HTTP/1.1 101 Switching Protocols');
    const refused = await rawExchange(server.port, padded(n + 1));
    expect(statusLine(refused)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  });

  it('answers 400 to bytes that are not HTTP', async () => {
    server = IoServer.factory(new HttpServer(new WsServer(echo)), 0, '127.0.0.1');
    await listen(server);
    const reply = await rawExchange(server.port, 'HELLO THERE\r\n\r\n');
    expect(statusLine(reply)).toBe('HTTP/1.1 400 Bad Request');
  });

  it('maxBodySize: a body of N bytes is read, N + 1 gets 413', async () => {
    server = IoServer.factory(
      new HttpServer(new Router([{ path: '/in', component: new BodyEcho(), methods: ['POST'] }]), {
        maxBodySize: 100,
      }),
      0,
      '127.0.0.1',
    );
    await listen(server);
    const base = `http://127.0.0.1:${server.port}/in`;
    const ok = await fetch(base, { method: 'POST', body: 'x'.repeat(100) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('got 100');
    const big = await fetch(base, { method: 'POST', body: 'x'.repeat(101) });
    expect(big.status).toBe(413);
    // Chunked (no Content-Length): counted while reading.
    const chunked = await rawExchange(
      server.port,
      `POST /in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n${'y'.repeat(101)}\r\n0\r\n\r\n`,
    );
    expect(statusLine(chunked)).toBe('HTTP/1.1 413 Payload Too Large');
  });

  it('bodyTimeout: a body still incomplete after N ms gets 408, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let reading = false;
    const slow: HttpComponent = {
      httpComponent: true,
      async onOpen(_conn, request) {
        const body = request.body(); // the deadline starts here
        reading = true;
        await body.catch(() => {});
      },
    };
    server = IoServer.factory(
      new HttpServer(new Router([{ path: '/in', component: slow, methods: ['POST'] }]), {
        bodyTimeout: 3000,
      }),
      0,
      '127.0.0.1',
    );
    await listen(server);
    const { default: net } = await import('node:net');
    const socket = net.connect(server.port, '127.0.0.1');
    const data: Buffer[] = [];
    socket.on('data', (d) => data.push(d));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n${'z'.repeat(50)}`);
    await until(() => reading); // (vi.waitUntil would advance the fake clock)
    await vi.advanceTimersByTimeAsync(2999);
    expect(Buffer.concat(data).toString()).toBe('');
    await vi.advanceTimersByTimeAsync(1);
    await until(() => data.length > 0);
    expect(statusLine(Buffer.concat(data))).toBe('HTTP/1.1 408 Request Timeout');
    socket.destroy();
  });

  it('headersTimeout: a head that never completes gets 408', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    server = IoServer.factory(new HttpServer(new WsServer(echo), { headersTimeout: 5000 }), 0, '127.0.0.1');
    await listen(server);
    const { default: net } = await import('node:net');
    const socket = net.connect(server.port, '127.0.0.1');
    const data: Buffer[] = [];
    socket.on('data', (d) => data.push(d));
    const ended = new Promise<void>((r) => socket.once('close', () => r()));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setImmediate(r));
    await vi.advanceTimersByTimeAsync(4999);
    expect(data).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(1000);
    await ended;
    expect(statusLine(Buffer.concat(data))).toBe('HTTP/1.1 408 Request Timeout');
  });
});

describe('Router', () => {
  it('routes by path, 404 for an unknown path, 405 for a non-GET on a WebSocket route', async () => {
    const router = new Router({
      '/echo': new WsServer(echo),
      '/rooms/:room': new WsServer({
        onOpen: (conn: Connection, req?: HttpRequest) => void conn.send(`room ${req?.params.room}`),
      }),
    });
    server = IoServer.factory(new HttpServer(router), 0, '127.0.0.1');
    const url = await listen(server);
    const ws = await openWs(`${url}/echo`);
    ws.send('ping');
    expect(await nextMessage(ws)).toBe('ping');
    ws.terminate();
    const room = await openWs(`${url}/rooms/blue%20one`);
    expect(await nextMessage(room)).toBe('room blue one');
    room.terminate();
    expect(await refusedStatus(`${url}/nope`)).toBe(404);
    const post = await fetch(`http://127.0.0.1:${server.port}/echo`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    // A plain GET (no Upgrade) on a WebSocket route.
    const plain = await fetch(`http://127.0.0.1:${server.port}/echo`);
    expect(plain.status).toBe(426);
    expect(plain.headers.get('upgrade')).toBe('websocket');
  });

  it('maxRoutes: N routes are taken, N + 1 throws', () => {
    const router = new Router([], { maxRoutes: 2 });
    router.add('/a', new WsServer(echo)).add('/b', new WsServer(echo));
    expect(() => router.add('/c', new WsServer(echo))).toThrow(RangeError);
  });

  it('a route for one host answers 404 to another Host', async () => {
    const router = new Router([{ path: '/x', component: new WsServer(echo), host: 'example.com' }]);
    server = IoServer.factory(new HttpServer(router), 0, '127.0.0.1');
    const url = await listen(server);
    expect(await refusedStatus(`${url}/x`)).toBe(404);
    const ws = await openWs(`${url}/x`, { headers: { Host: 'example.com:1234' } });
    ws.terminate();
  });
});
