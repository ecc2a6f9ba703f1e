// Interop with `ws` (an independent, widely deployed implementation): our client against the ws server and
// the ws client against our server, with permessage-deflate off and on. Text, binary, fragmented (ws can
// fragment through its API), 10 MB, ping/pong, subprotocol, and every close path.
import { randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { type DeflateParams, loadPushwire, type PwSocket } from './support/implementations.js';

const MAX = 16 * 1024 * 1024;

interface Received {
  data: Buffer;
  isBinary: boolean;
}

/** Buffers 'message' events so a test can await them in order. */
class Inbox {
  private readonly items: Received[] = [];
  private readonly waiters: Array<(r: Received) => void> = [];
  push(r: Received): void {
    const w = this.waiters.shift();
    if (w) w(r);
    else this.items.push(r);
  }
  next(): Promise<Received> {
    const r = this.items.shift();
    return r ? Promise.resolve(r) : new Promise((resolve) => this.waiters.push(resolve));
  }
}

interface CloseEvent {
  code: number;
  reason: string;
}

interface Pair {
  ws: WebSocket;
  ours: PwSocket;
  oursIs: 'client' | 'server';
  wsInbox: Inbox;
  oursInbox: Inbox;
  wsClosed: Promise<CloseEvent>;
  oursClosed: Promise<CloseEvent>;
  oursErrors: Error[];
  cleanup(): Promise<void>;
}

function watchOurs(ours: PwSocket): Pick<Pair, 'oursInbox' | 'oursClosed' | 'oursErrors'> {
  const oursInbox = new Inbox();
  const oursErrors: Error[] = [];
  ours.on('message', (...args) => {
    const data = args[0] as Buffer | ArrayBuffer;
    oursInbox.push({ data: Buffer.isBuffer(data) ? data : Buffer.from(data), isBinary: args[1] === true });
  });
  ours.on('error', (err) => oursErrors.push(err as Error));
  const oursClosed = new Promise<CloseEvent>((resolve) =>
    ours.on('close', (code, reason) => resolve({ code: code as number, reason: String(reason) })),
  );
  return { oursInbox, oursClosed, oursErrors };
}

function watchWs(ws: WebSocket): Pick<Pair, 'wsInbox' | 'wsClosed'> {
  const wsInbox = new Inbox();
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => wsInbox.push({ data: data as Buffer, isBinary }));
  const wsClosed = new Promise<CloseEvent>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return { wsInbox, wsClosed };
}

type Deflate = boolean | DeflateParams;

/** ws compresses only from 1024 bytes by default; 0 makes every message exercise inflate on our side. */
function wsDeflate(deflate: Deflate): false | WebSocket.PerMessageDeflateOptions {
  return deflate === false ? false : { threshold: 0, ...(deflate === true ? {} : deflate) };
}

async function oursClientToWsServer(deflate: Deflate): Promise<Pair> {
  const { WebSocket: Client } = await loadPushwire();
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    maxPayload: MAX,
    perMessageDeflate: wsDeflate(deflate),
    handleProtocols: (p) => (p.has('chat') ? 'chat' : false),
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const ours = new Client(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/interop`, ['chat'], {
    perMessageDeflate: deflate,
    maxPayload: MAX,
  });
  const watched = watchOurs(ours);
  await new Promise<void>((resolve, reject) => {
    ours.on('open', () => resolve());
    watched.oursClosed.then((e) => reject(new Error(`our client closed before opening (${e.code})`)));
  });
  const ws = await serverSide;
  return {
    ws,
    ours,
    oursIs: 'client',
    ...watched,
    ...watchWs(ws),
    cleanup: async () => {
      ours.terminate();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

async function wsClientToOursServer(deflate: Deflate): Promise<Pair> {
  const { WebSocketServer: Server } = await loadPushwire();
  const wss = new Server({
    host: '127.0.0.1',
    port: 0,
    maxPayload: MAX,
    perMessageDeflate: deflate,
    handleProtocols: (p: Set<string>) => (p.has('chat') ? 'chat' : false),
  });
  await new Promise<void>((resolve) => wss.on('listening', () => resolve()));
  const serverSide = new Promise<PwSocket>((resolve) => wss.on('connection', (s) => resolve(s as PwSocket)));
  const addr = wss.address() as AddressInfo;
  const ws = new WebSocket(`ws://127.0.0.1:${addr.port}/interop`, ['chat'], {
    perMessageDeflate: wsDeflate(deflate),
    maxPayload: MAX,
  });
  const watchedWs = watchWs(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const ours = await serverSide;
  return {
    ws,
    ours,
    oursIs: 'server',
    ...watchOurs(ours),
    ...watchedWs,
    cleanup: async () => {
      ws.terminate();
      for (const c of wss.clients) c.terminate();
      await wss.close();
    },
  };
}

const setups = [
  { name: 'pushwire client <-> ws server', open: oursClientToWsServer },
  { name: 'ws client <-> pushwire server', open: wsClientToOursServer },
];

describe.each(setups)('$name', ({ open }) => {
  describe.each([false, true])('permessage-deflate %s', (deflate) => {
    let pair: Pair | undefined;
    afterEach(async () => {
      await pair?.cleanup();
      pair = undefined;
    });
    const start = async (): Promise<Pair> => {
      pair = await open(deflate);
      return pair;
    };

    it('negotiates the chat subprotocol and (only when on) permessage-deflate on both sides', async () => {
      const p = await start();
      expect(p.ours.protocol).toBe('chat');
      expect(p.ws.protocol).toBe('chat');
      expect(p.ours.extensions.includes('permessage-deflate')).toBe(deflate);
      expect(p.ws.extensions.includes('permessage-deflate')).toBe(deflate);
    });

    it('text and binary both ways, types preserved', async () => {
      const p = await start();
      p.ours.send('héllo from pushwire');
      p.ours.send(Buffer.from([0, 1, 2, 255]));
      expect(await p.wsInbox.next()).toEqual({ data: Buffer.from('héllo from pushwire'), isBinary: false });
      expect(await p.wsInbox.next()).toEqual({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });
      p.ws.send('héllo from ws');
      p.ws.send(Buffer.from([9, 8, 7]));
      p.ws.send('');
      expect(await p.oursInbox.next()).toEqual({ data: Buffer.from('héllo from ws'), isBinary: false });
      expect(await p.oursInbox.next()).toEqual({ data: Buffer.from([9, 8, 7]), isBinary: true });
      expect(await p.oursInbox.next()).toEqual({ data: Buffer.alloc(0), isBinary: false });
    });

    it('a message fragmented by ws (3 frames) arrives whole', async () => {
      const p = await start();
      p.ws.send('frag', { fin: false });
      p.ws.send('men', { fin: false });
      p.ws.send('ted', { fin: true });
      expect(await p.oursInbox.next()).toEqual({ data: Buffer.from('fragmented'), isBinary: false });
    });

    it('10 MB binary both ways, unchanged', async () => {
      const p = await start();
      const big = randomBytes(10 * 1024 * 1024);
      p.ws.send(big);
      const got = await p.oursInbox.next();
      expect(got.isBinary).toBe(true);
      expect(got.data.equals(big)).toBe(true);
      p.ours.send(got.data);
      const back = await p.wsInbox.next();
      expect(back.data.equals(big)).toBe(true);
    }, 30_000);

    it('ping from each side is answered with a pong carrying the payload', async () => {
      const p = await start();
      const wsPong = new Promise<Buffer>((resolve) => p.ws.once('pong', resolve));
      p.ws.ping('from ws');
      expect((await wsPong).toString()).toBe('from ws');
      const oursPong = new Promise<Buffer>((resolve) => p.ours.on('pong', (data) => resolve(data as Buffer)));
      (p.ours as PwSocket & { ping(data?: string): void }).ping('from pushwire');
      expect(Buffer.from(await oursPong).toString()).toBe('from pushwire');
    });

    it('close initiated by pushwire (4001, reason) is seen with that code on both sides', async () => {
      const p = await start();
      p.ours.close(4001, 'bye from pushwire');
      expect(await p.wsClosed).toEqual({ code: 4001, reason: 'bye from pushwire' });
      expect((await p.oursClosed).code).toBe(4001);
    });

    it('close initiated by ws (1000, reason) is seen with that code on both sides', async () => {
      const p = await start();
      p.ws.close(1000, 'bye from ws');
      expect(await p.oursClosed).toEqual({ code: 1000, reason: 'bye from ws' });
      expect((await p.wsClosed).code).toBe(1000);
    });

    it('close without a code: both sides report 1005', async () => {
      const p = await start();
      p.ws.close();
      expect((await p.oursClosed).code).toBe(1005);
      expect((await p.wsClosed).code).toBe(1005);
    });

    it('terminate() by pushwire: ws sees 1006', async () => {
      const p = await start();
      p.ours.terminate();
      expect((await p.wsClosed).code).toBe(1006);
      expect((await p.oursClosed).code).toBe(1006);
    });

    it('terminate() by ws: pushwire sees 1006', async () => {
      const p = await start();
      p.ws.terminate();
      expect((await p.oursClosed).code).toBe(1006);
    });

    it('protocol error from ws (reserved opcode 3) -> pushwire fails the connection with 1002', async () => {
      const p = await start();
      const raw = (p.ws as unknown as { _socket: Socket })._socket;
      // A reserved-opcode frame, masked iff ws is the client (RFC 6455 5.1).
      raw.write(p.oursIs === 'server' ? Buffer.from([0x83, 0x80, 1, 2, 3, 4]) : Buffer.from([0x83, 0x00]));
      expect((await p.wsClosed).code).toBe(1002);
      await p.oursClosed;
      expect(p.oursErrors.length).toBeGreaterThan(0);
    });

    it('invalid UTF-8 text from ws -> pushwire fails the connection with 1007', async () => {
      const p = await start();
      const raw = (p.ws as unknown as { _socket: Socket })._socket;
      raw.write(
        p.oursIs === 'server'
          ? Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc0, 0xaf])
          : Buffer.from([0x81, 0x02, 0xc0, 0xaf]),
      );
      expect((await p.wsClosed).code).toBe(1007);
      await p.oursClosed;
    });
  });
});

// permessage-deflate parameters negotiated between two real implementations (RFC 7692 7.1): the same
// options on both sides; messages repeat a block at distance 1200, so a peer compressing with a larger window
// than agreed (or keeping context it gave up) breaks the other side's inflater and fails the test.
const DEFLATE_PARAMS: DeflateParams[] = [
  { serverNoContextTakeover: true, clientNoContextTakeover: true },
  { serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
  { serverMaxWindowBits: 10, clientMaxWindowBits: 12, clientNoContextTakeover: true },
  { serverMaxWindowBits: 15, clientMaxWindowBits: 15, serverNoContextTakeover: true },
];

describe.each(setups)('$name, deflate parameters', ({ open }) => {
  it.each(DEFLATE_PARAMS)('%o: agreed on both sides, 20 messages each way intact', async (params) => {
    const p = await open({ threshold: 0, ...params });
    try {
      // ws's `extensions` lists names only; ours is the agreed header (WHATWG), so it shows the parameters.
      expect(p.ws.extensions).toBe('permessage-deflate');
      expect(p.ours.extensions).toContain('permessage-deflate');
      if (params.serverNoContextTakeover) expect(p.ours.extensions).toContain('server_no_context_takeover');
      if (params.clientNoContextTakeover) expect(p.ours.extensions).toContain('client_no_context_takeover');
      const block = randomBytes(900).toString('base64');
      const messages = Array.from({ length: 20 }, (_, i) => `${i}:${block}${block}`);
      for (const m of messages) p.ours.send(m);
      for (const m of messages) p.ws.send(m);
      for (const m of messages) expect((await p.wsInbox.next()).data.toString()).toBe(m);
      for (const m of messages) expect((await p.oursInbox.next()).data.toString()).toBe(m);
    } finally {
      await p.cleanup();
    }
  });
});
