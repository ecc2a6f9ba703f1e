// Real server and clients on 127.0.0.1:0: handshake refusals, limits crossed by one, broadcast, shutdown.
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, OPCODE } from '../src/frame.js';
import type { WebSocketServer } from '../src/server.js';
import { WebSocket } from '../src/websocket.js';
import { rawClient, startServer, UPGRADE_REQUEST, until } from './helpers.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function server(options: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer(options);
  cleanup.push(() => s.wss.close());
  return s;
}

function echo(wss: WebSocketServer): void {
  wss.on('connection', (ws) => ws.on('message', (d, b) => ws.send(b ? (d as Buffer) : d.toString())));
}

async function open(url: string, protocols?: string[], options = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, options);
  cleanup.push(() => ws.terminate());
  await once(ws, 'open');
  return ws;
}

const nextMessage = (ws: WebSocket) =>
  new Promise<[string, boolean]>((r) =>
    ws.once('message', (d, b) => r([(d as Buffer).toString(b ? 'hex' : 'utf8'), b])),
  );
const closeOf = (ws: WebSocket) =>
  new Promise<[number, string]>((r) => ws.once('close', (c, reason) => r([c, reason.toString()])));

/**
 * An upgrade request with an `X-Pad` header of `n` bytes. maxHeaderSize counts the head as Node's parser
 * does: the request line and the header lines with their CRLFs, not the empty line that ends the head
 * (so the head is the request's length minus 2).
 */
const padded = (n: number): string => UPGRADE_REQUEST('/', `X-Pad: ${'a'.repeat(n)}\r\n`);

async function statusOf(port: number, request: string): Promise<string> {
  const raw = await rawClient(port);
  raw.socket.write(request);
  await Promise.race([until(raw.socket, () => raw.data().includes('\r\n\r\n')), raw.closed]);
  raw.socket.destroy();
  return raw.data().toString().split('\r\n')[0]!;
}

describe('echo over a real connection', () => {
  it('echoes text and binary, fragmented and whole', async () => {
    const { wss, url } = await server();
    echo(wss);
    const ws = await open(url);
    ws.send('héllo');
    expect(await nextMessage(ws)).toEqual(['héllo', false]);
    ws.send(Buffer.from([0, 1, 2, 255]));
    expect(await nextMessage(ws)).toEqual(['000102ff', true]);
    const big = Buffer.alloc(200_000, 0xab);
    ws.send(big);
    const [hexed] = await nextMessage(ws);
    expect(hexed).toBe(big.toString('hex'));
  });

  it('reassembles fragments sent by a raw client, with a ping in between', async () => {
    const { wss, port } = await server();
    echo(wss);
    const raw = await rawClient(port);
    raw.socket.write(UPGRADE_REQUEST());
    await until(raw.socket, () => raw.data().includes('\r\n\r\n'));
    const start = raw.data().length;
    raw.socket.write(
      Buffer.concat([
        encodeFrame(OPCODE.TEXT, 'Hel', { fin: false, mask: true }),
        encodeFrame(OPCODE.PING, 'p', { mask: true }),
        encodeFrame(OPCODE.CONTINUATION, 'lo', { mask: true }),
      ]),
    );
    await until(raw.socket, () => raw.data().length >= start + 3 + 7);
    // pong first (the ping arrived first), then the echoed message
    expect(raw.data().subarray(start).toString('hex')).toBe('8a0170810548656c6c6f');
    raw.socket.destroy();
  });
});

describe('bytes that arrive with the upgrade request', () => {
  it('a frame pipelined in the same segment as the request is delivered (regression: unshift on a flowing socket)', async () => {
    const { wss, port } = await server();
    const got = new Promise<string>((r) =>
      wss.on('connection', (ws) => ws.on('message', (d) => r(d.toString()))),
    );
    const raw = await rawClient(port);
    raw.socket.write(
      Buffer.concat([Buffer.from(UPGRADE_REQUEST()), encodeFrame(OPCODE.TEXT, 'early', { mask: true })]),
    );
    expect(await got).toBe('early');
    raw.socket.destroy();
  });
});

describe('handshake refusals are HTTP answers, never upgrades', () => {
  it('426 with Sec-WebSocket-Version for an unsupported version', async () => {
    const { port } = await server();
    const raw = await rawClient(port);
    raw.socket.write(UPGRADE_REQUEST('/').replace('Version: 13', 'Version: 8'));
    await raw.closed;
    const text = raw.data().toString();
    expect(text.startsWith('HTTP/1.1 426 ')).toBe(true);
    expect(text).toContain('Sec-WebSocket-Version: 13');
  });

  it('400 for a bad key, 404 for another path', async () => {
    const { port } = await server({ path: '/ws' });
    expect(await statusOf(port, UPGRADE_REQUEST('/ws').replace('dGhlIHNhbXBsZSBub25jZQ==', 'short'))).toBe(
      'HTTP/1.1 400 Bad Request',
    );
    expect(await statusOf(port, UPGRADE_REQUEST('/other'))).toBe('HTTP/1.1 404 Not Found');
    expect(await statusOf(port, UPGRADE_REQUEST('/ws?x=1'))).toBe('HTTP/1.1 101 Switching Protocols');
  });

  it('403 when verifyClient refuses; it sees the Origin', async () => {
    const origins: (string | undefined)[] = [];
    const { port, url } = await server({
      verifyClient: async ({ origin }) => {
        origins.push(origin);
        return origin === 'https://good.example';
      },
    });
    expect(await statusOf(port, UPGRADE_REQUEST('/', 'Origin: https://evil.example\r\n'))).toBe(
      'HTTP/1.1 403 Forbidden',
    );
    const ws = await open(url, [], { origin: 'https://good.example' });
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(origins).toEqual(['https://evil.example', 'https://good.example']);
  });

  it('plain HTTP requests get 426', async () => {
    const { port } = await server();
    expect(await statusOf(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toBe(
      'HTTP/1.1 426 Upgrade Required',
    );
  });
});

describe('subprotocols', () => {
  it('picks the first offered by default, or what handleProtocols says', async () => {
    const a = await server();
    const ws = await open(a.url, ['chat', 'superchat']);
    expect(ws.protocol).toBe('chat');
    const b = await server({
      handleProtocols: (offered) => (offered.has('superchat') ? 'superchat' : false),
    });
    expect((await open(b.url, ['chat', 'superchat'])).protocol).toBe('superchat');
    expect((await open(b.url, ['chat'])).protocol).toBe('');
  });

  it('never answers a subprotocol that was not offered', async () => {
    const { url } = await server({ handleProtocols: () => 'other' });
    expect((await open(url, ['chat'])).protocol).toBe('');
  });
});

describe('limits, crossed by one', () => {
  it('maxPayload: N bytes pass, N+1 closes with 1009', async () => {
    const { wss, url } = await server({ maxPayload: 100 });
    echo(wss);
    const ws = await open(url);
    ws.send(Buffer.alloc(100));
    expect((await nextMessage(ws))[0].length).toBe(200);
    ws.send(Buffer.alloc(101));
    expect((await closeOf(ws))[0]).toBe(1009);
  });

  it('maxFragments: N frames pass, N+1 closes with 1008', async () => {
    const { wss, port } = await server({ maxFragments: 3 });
    echo(wss);
    const send = async (n: number) => {
      const raw = await rawClient(port);
      raw.socket.write(UPGRADE_REQUEST());
      await until(raw.socket, () => raw.data().includes('\r\n\r\n'));
      const start = raw.data().indexOf('\r\n\r\n') + 4;
      for (let i = 0; i < n; i++) {
        raw.socket.write(
          encodeFrame(i === 0 ? OPCODE.TEXT : OPCODE.CONTINUATION, 'a', { fin: i === n - 1, mask: true }),
        );
      }
      await until(raw.socket, () => raw.data().length > start + 1);
      raw.socket.destroy();
      return raw.data().subarray(start);
    };
    expect((await send(3)).toString('hex')).toBe('8103616161');
    const refused = await send(4);
    expect(refused[0]).toBe(0x88);
    expect(refused.readUInt16BE(2)).toBe(1008);
  });

  it('handshakeTimeout: a client that never finishes its request is dropped', async () => {
    const { port } = await server({ handshakeTimeout: 300 });
    const raw = await rawClient(port);
    const started = Date.now();
    raw.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // and nothing more
    await raw.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('handshakeTimeout also bounds a verifyClient that never answers', async () => {
    const { port } = await server({
      handshakeTimeout: 200,
      verifyClient: () => new Promise<boolean>(() => {}),
    });
    const raw = await rawClient(port);
    const started = Date.now();
    raw.socket.write(UPGRADE_REQUEST());
    await raw.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(raw.data().length).toBe(0); // never upgraded
  });

  it('maxHeaderSize: a head of N bytes passes, one over gets 431', async () => {
    const { port } = await server({ maxHeaderSize: 1024 });
    const headOf = (n: number) => padded(n).length - 2;
    const n = 1024 - headOf(0);
    expect(headOf(n)).toBe(1024);
    expect(await statusOf(port, padded(n))).toBe('HTTP/1.1 101 Switching Protocols');
    expect(await statusOf(port, padded(n + 1))).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  });

  it('maxHeaderSize on handleUpgrade (noServer): measured from the parsed head', async () => {
    const { WebSocketServer } = await import('../src/server.js');
    const wss = new WebSocketServer({ noServer: true, maxHeaderSize: 600 });
    const httpServer = http.createServer();
    httpServer.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.close()));
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    cleanup.push(() => new Promise((r) => httpServer.close(r)));
    cleanup.push(() => wss.close());
    const port = (httpServer.address() as net.AddressInfo).port;
    const n = 600 - (padded(0).length - 2);
    expect(await statusOf(port, padded(n))).toBe('HTTP/1.1 101 Switching Protocols');
    expect(await statusOf(port, padded(n + 1))).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  });

  it('closeTimeout: a peer that never answers the close is dropped', async () => {
    const { wss, port } = await server({ closeTimeout: 200 });
    const closed = new Promise<number>((r) =>
      wss.once('connection', (ws) => {
        ws.close(1000);
        ws.once('close', (code) => r(code));
      }),
    );
    const raw = await rawClient(port);
    raw.socket.write(UPGRADE_REQUEST());
    const started = Date.now();
    expect(await closed).toBe(1006);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    raw.socket.destroy();
  });
});

describe('maxConnections, crossed by one', () => {
  /** The answer's head to an upgrade request. */
  async function headOf(port: number, path = '/'): Promise<string> {
    const raw = await rawClient(port);
    raw.socket.write(UPGRADE_REQUEST(path));
    await Promise.race([until(raw.socket, () => raw.data().includes('\r\n\r\n')), raw.closed]);
    raw.socket.destroy();
    const text = raw.data().toString();
    return text.slice(0, text.indexOf('\r\n\r\n'));
  }

  it('counts open and handshaking connections: the N+1st gets 503 with Retry-After, a freed slot is reused', async () => {
    let release: (ok: boolean) => void = () => {};
    let verifying: () => void = () => {};
    const held = new Promise<void>((r) => (verifying = r));
    const { wss, url, port } = await server({
      maxConnections: 2,
      verifyClient: (info) =>
        info.req.url === '/held'
          ? new Promise<boolean>((r) => {
              release = r;
              verifying();
            })
          : true,
    });
    const serverSide = new Promise<WebSocket>((r) => wss.once('connection', (ws) => r(ws)));
    await open(url); // 1 open
    const first = await serverSide;
    const slow = await rawClient(port);
    cleanup.push(() => slow.socket.destroy());
    slow.socket.write(UPGRADE_REQUEST('/held'));
    await held; // 1 open + 1 handshaking = 2

    const refused = await headOf(port);
    expect(refused.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
    expect(refused).toContain('\r\nRetry-After: 5');

    release(true); // the held handshake completes: 2 open
    await until(slow.socket, () => slow.data().includes('\r\n\r\n'));
    expect(slow.data().toString()).toMatch(/^HTTP\/1\.1 101 /);
    expect((await headOf(port)).split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');

    const gone = once(first, 'close');
    first.terminate();
    await gone; // 1 open
    expect((await headOf(port)).split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
  });

  it('a refused or timed-out handshake frees its slot', async () => {
    const { port } = await server({
      maxConnections: 1,
      handshakeTimeout: 200,
      verifyClient: (info) =>
        info.req.url === '/never' ? new Promise<boolean>(() => {}) : info.req.url !== '/no',
    });
    expect((await headOf(port, '/no')).split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    const stuck = await rawClient(port);
    stuck.socket.write(UPGRADE_REQUEST('/never'));
    await stuck.closed; // handshakeTimeout
    expect((await headOf(port)).split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
  });
});

describe('backpressure', () => {
  it('bufferedAmount grows while the peer does not read, then drains to 0 with a drain event', async () => {
    const { wss, port } = await server();
    const opened = new Promise<WebSocket>((r) => wss.once('connection', (ws) => r(ws)));
    const raw = await rawClient(port);
    raw.socket.write(UPGRADE_REQUEST());
    const ws = await opened;
    raw.socket.pause();
    raw.socket.removeAllListeners('data');
    const chunk = Buffer.alloc(1024 * 1024, 1);
    let written = 0;
    for (let i = 0; i < 32; i++) ws.send(chunk, (err) => (err ? undefined : written++));
    // The first frame went to the socket at once and the kernel took some of it; the rest waits.
    expect(ws.bufferedAmount).toBeGreaterThanOrEqual(31 * chunk.length);
    await new Promise((r) => setTimeout(r, 50));
    expect(ws.bufferedAmount).toBeGreaterThan(0); // the kernel cannot take 32 MiB from a paused reader
    const drained = once(ws, 'drain');
    raw.socket.on('data', () => {});
    raw.socket.resume();
    await drained;
    expect(ws.bufferedAmount).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(written).toBe(32);
    raw.socket.destroy();
  });
});

describe('broadcast and shutdown', () => {
  it('frames once and delivers the same message to every open client, or to a subset', async () => {
    const { wss, url } = await server();
    const clients = await Promise.all([open(url), open(url), open(url)]);
    const got = clients.map(nextMessage);
    wss.broadcast('to all');
    expect(await Promise.all(got)).toEqual(clients.map(() => ['to all', false]));
    const [first] = [...wss.clients];
    const one = Promise.race(clients.map(nextMessage));
    wss.broadcast(Buffer.from([7]), [first!]);
    expect(await one).toEqual(['07', true]);
  });

  it('broadcast writes the same frame Buffer object to every client socket (framed once, not per client)', async () => {
    const { wss, url } = await server();
    const clients = await Promise.all([open(url), open(url), open(url)]);
    const written: unknown[] = [];
    for (const ws of wss.clients) {
      const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      socket.write = ((chunk: unknown, ...rest: unknown[]) => {
        written.push(chunk);
        return write(chunk, ...rest);
      }) as typeof socket.write;
    }
    const got = clients.map(nextMessage);
    wss.broadcast('same frame');
    expect(await Promise.all(got)).toEqual(clients.map(() => ['same frame', false]));
    expect(written.length).toBe(3);
    expect(written[1]).toBe(written[0]);
    expect(written[2]).toBe(written[0]);
    expect((written[0] as Buffer).toString('hex')).toBe(`810a${Buffer.from('same frame').toString('hex')}`);
  });

  it('close() sends 1001 to every client and resolves when they are closed', async () => {
    const { wss, url } = await startServer();
    const clients = await Promise.all([open(url), open(url)]);
    const codes = clients.map(closeOf);
    await wss.close();
    expect(await Promise.all(codes)).toEqual([
      [1001, 'server shutting down'],
      [1001, 'server shutting down'],
    ]);
    expect(wss.clients.size).toBe(0);
  });

  it('pingInterval terminates a peer that stops answering, keeps one that answers', async () => {
    const { wss, url, port } = await server({ pingInterval: 50 });
    const alive = await open(url);
    const dead = new Promise<number>((r) => wss.on('connection', (ws) => ws.on('close', (c) => r(c))));
    const raw = await rawClient(port);
    raw.socket.write(UPGRADE_REQUEST()); // never answers pings
    expect(await dead).toBe(1006);
    expect(alive.readyState).toBe(WebSocket.OPEN);
    raw.socket.destroy();
  });
});
