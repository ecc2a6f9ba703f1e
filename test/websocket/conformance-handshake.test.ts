// Opening handshake (RFC 6455 4.1 client requirements, 4.2.1/4.2.2 server requirements), both roles.
// Server: refusals are HTTP answers and the socket is closed, never upgraded. Client: every check of 4.1
// (status, Upgrade/Connection, accept key, subprotocol and extensions it did not offer) fails the connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFrame, OP } from './support/frame.js';
import { FrameConn } from './support/frame-conn.js';
import { acceptKey, type HttpHead, statusOf, tokens } from './support/http-head.js';
import { type ClientOptions, implementations } from './support/implementations.js';
import { rawHandshake } from './support/raw-client.js';
import { RawServer } from './support/raw-server.js';

function waitClosed(socket: import('node:net').Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
    socket.resume();
  });
}

describe.each(implementations)('handshake, server under test ($name)', (impl) => {
  let url = '';
  let close = async (): Promise<void> => {};
  beforeAll(async () => {
    const target = await impl.startEchoServer({ chat: true });
    url = target.url;
    close = target.close;
  });
  afterAll(() => close());

  async function refused(rawRequest: string): Promise<HttpHead> {
    const { socket, response } = await rawHandshake(url, { rawRequest });
    await waitClosed(socket);
    expect(statusOf(response), response.startLine).not.toBe(101);
    return response;
  }

  const GOOD = 'Host: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n';

  it('H.1 valid request: 101, Upgrade/Connection tokens, accept = base64(SHA-1(key + GUID)), nothing unasked', async () => {
    const { socket, response, key } = await rawHandshake(url);
    socket.destroy();
    expect(response.startLine).toMatch(/^HTTP\/1\.1 101 /);
    expect(tokens(response.headers.upgrade)).toContain('websocket');
    expect(tokens(response.headers.connection)).toContain('upgrade');
    expect(response.headers['sec-websocket-accept']).toBe(acceptKey(key));
    expect(response.headers['sec-websocket-protocol']).toBeUndefined();
    expect(response.headers['sec-websocket-extensions']).toBeUndefined();
  });

  it('H.2 Upgrade/Connection matched case-insensitively inside token lists', async () => {
    const { socket, response, key } = await rawHandshake(url, {
      rawRequest: `GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: WebSocket\r\nConnection: keep-alive, UPGRADE\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    });
    socket.destroy();
    expect(statusOf(response)).toBe(101);
    expect(response.headers['sec-websocket-accept']).toBe(acceptKey(key));
  });

  const wsVersionDeviation = impl.name === 'ws' ? ' [known ws deviation: answers 400, not 426]' : '';
  (impl.name === 'ws' ? it.fails : it)(
    `H.3 unsupported version -> 426 with Sec-WebSocket-Version: 13 (RFC 6455 4.4)${wsVersionDeviation}`,
    async () => {
      const response = await refused(`GET / HTTP/1.1\r\n${GOOD}Sec-WebSocket-Version: 12\r\n\r\n`);
      expect(statusOf(response)).toBe(426);
      expect(tokens(response.headers['sec-websocket-version'])).toContain('13');
    },
  );

  it('H.4 missing Sec-WebSocket-Key -> 400, socket closed', async () => {
    const response = await refused(
      'GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    expect(statusOf(response)).toBe(400);
  });

  it('H.5 Sec-WebSocket-Key that is not a base64 16-byte nonce -> 400', async () => {
    const response = await refused(
      `GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.alloc(15).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    expect(statusOf(response)).toBe(400);
  });

  it('H.6 POST instead of GET -> 4xx, never 101 (RFC 6455 4.2.1 item 1)', async () => {
    const response = await refused(
      `POST / HTTP/1.1\r\n${GOOD}Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n`,
    );
    expect(statusOf(response)).toBeGreaterThanOrEqual(400);
  });

  it('H.7 no Upgrade header -> 4xx, never 101', async () => {
    const response = await refused(
      'GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    expect(statusOf(response)).toBeGreaterThanOrEqual(400);
  });

  it('H.8 subprotocol chosen among those offered ("superchat, chat" -> chat)', async () => {
    const { socket, response } = await rawHandshake(url, {
      headers: { 'Sec-WebSocket-Protocol': 'superchat, chat' },
    });
    socket.destroy();
    expect(statusOf(response)).toBe(101);
    expect(response.headers['sec-websocket-protocol']).toBe('chat');
  });

  it('H.9 no acceptable subprotocol offered: no Sec-WebSocket-Protocol in the answer', async () => {
    const { socket, response } = await rawHandshake(url, {
      headers: { 'Sec-WebSocket-Protocol': 'superchat' },
    });
    socket.destroy();
    if (statusOf(response) === 101) expect(response.headers['sec-websocket-protocol']).toBeUndefined();
    else expect(statusOf(response)).toBeGreaterThanOrEqual(400);
  });

  it('H.10 unknown extension and permessage-deflate (off by default) offered: no extension accepted', async () => {
    const { socket, response } = await rawHandshake(url, {
      headers: { 'Sec-WebSocket-Extensions': 'x-unknown; a=1, permessage-deflate' },
    });
    socket.destroy();
    expect(statusOf(response)).toBe(101);
    expect(response.headers['sec-websocket-extensions']).toBeUndefined();
  });
  it('H.11 robustness (not an RFC MUST): a frame pipelined in the same segment as the request is processed', async () => {
    const frame = buildFrame({ opcode: OP.TEXT, payload: 'pipelined', mask: true }).toString('latin1');
    const { socket, response, key } = await rawHandshake(url, {
      rawRequest: `GET / HTTP/1.1\r\n${GOOD}Sec-WebSocket-Version: 13\r\n\r\n${frame}`,
    });
    expect(statusOf(response)).toBe(101);
    expect(response.headers['sec-websocket-accept']).toBe(acceptKey(key));
    const conn = new FrameConn(socket, 'client', response.rest);
    socket.resume();
    const echo = await conn.nextFrame();
    conn.destroy();
    expect([echo.opcode, echo.payload.toString()]).toEqual([OP.TEXT, 'pipelined']);
  });
});

describe.each(implementations)('handshake, client under test ($name)', (impl) => {
  let raw: RawServer;
  beforeAll(async () => {
    raw = await RawServer.start();
  });
  afterAll(() => raw.close());

  it('C.1 the request: GET path HTTP/1.1, Host, Upgrade, Connection, 16-byte key, version 13, protocols', async () => {
    raw.responder = () => ({ headers: { 'Sec-WebSocket-Protocol': 'chat' } });
    const client = impl.connectEchoClient(`${raw.url}some/path?x=1`, { protocols: ['chat', 'superchat'] });
    const { conn, request } = await raw.next();
    expect(request.startLine).toBe('GET /some/path?x=1 HTTP/1.1');
    expect(request.headers.host).toBe(new URL(raw.url).host);
    expect(tokens(request.headers.upgrade)).toContain('websocket');
    expect(tokens(request.headers.connection)).toContain('upgrade');
    expect(Buffer.from(request.headers['sec-websocket-key'] ?? '', 'base64').length).toBe(16);
    expect(request.headers['sec-websocket-version']).toBe('13');
    expect(tokens(request.headers['sec-websocket-protocol'])).toEqual(['chat', 'superchat']);
    client.terminate();
    await client.closed;
    conn.destroy();
  });

  const failures: Array<[string, string, (accept: string) => string, ClientOptions?]> = [
    [
      'C.2',
      'wrong Sec-WebSocket-Accept',
      () =>
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n',
    ],
    [
      'C.3',
      'status 200 instead of 101',
      (a) =>
        `HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${a}\r\nContent-Length: 0\r\n\r\n`,
    ],
    [
      'C.4',
      'no Upgrade header in the 101',
      (a) => `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${a}\r\n\r\n`,
    ],
    [
      'C.5',
      'a subprotocol the client did not offer',
      (a) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${a}\r\nSec-WebSocket-Protocol: other\r\n\r\n`,
      { protocols: ['chat'] },
    ],
    [
      'C.6',
      'a subprotocol when the client offered none',
      (a) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${a}\r\nSec-WebSocket-Protocol: chat\r\n\r\n`,
    ],
    [
      'C.7',
      'an extension the client did not offer',
      (a) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${a}\r\nSec-WebSocket-Extensions: x-foo\r\n\r\n`,
    ],
    [
      'C.8',
      'permessage-deflate when the client did not offer it',
      (a) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${a}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`,
    ],
  ];
  for (const [id, what, response, options] of failures) {
    it(`${id} ${what} -> the client fails the connection (close 1006, error reported)`, async () => {
      raw.responder = () => ({ raw: response('{accept}') });
      const client = impl.connectEchoClient(raw.url, options);
      const { conn } = await raw.next();
      const event = await client.closed;
      expect(event.code).toBe(1006);
      expect(client.errors.length).toBeGreaterThan(0);
      await conn.waitTcpClosed();
      expect(conn.received).toEqual([]);
    });
  }
});
