// A Bayeux server on 127.0.0.1:0 and a Bayeux-over-WebSocket peer built on a raw TCP socket, so a test can
// send any frame (binary, invalid UTF-8, unmasked...) and can stop reading at will. Server frames are parsed
// with the websocket package's Receiver on the client side (RFC 6455 5.1: server frames are unmasked).
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Message } from '@pushwire/bayeux';
import { type BayeuxServer, type BayeuxServerOptions, createBayeuxServer } from '@pushwire/server';
import { encodeFrame, OPCODE, Receiver } from '@pushwire/websocket';
import { afterEach, expect } from 'vitest';
import { rawWebSocket, within } from './support.js';

export interface BayeuxHarness {
  bayeux: BayeuxServer;
  http: Server;
  port: number;
  /** Server-side TCP sockets, to measure what the server buffers for each peer. */
  serverSockets: Socket[];
  close(): Promise<void>;
}

export async function startBayeux(options: BayeuxServerOptions = {}): Promise<BayeuxHarness> {
  const bayeux = createBayeuxServer(options);
  const http = createServer();
  const serverSockets: Socket[] = [];
  http.on('connection', (s: Socket) => serverSockets.push(s));
  bayeux.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    bayeux,
    http,
    port,
    serverSockets,
    async close() {
      await bayeux.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** What useBayeuxHarness() gives a test file: the test's harness and raw peers, cleaned up after it. */
export interface BayeuxFixture {
  /** The harness start() made in the current test (throws if none). */
  readonly h: BayeuxHarness;
  /** Starts the current test's server (closed after the test). */
  start(options?: BayeuxServerOptions): Promise<BayeuxHarness>;
  /** Closes the current server now (a test that starts several in turn). */
  stop(): Promise<void>;
  /** A raw peer on the current server, ended after the test. */
  ws(): Promise<RawBayeuxWs>;
  /** Ends `c` after the test. */
  track(c: RawBayeuxWs): RawBayeuxWs;
  /** Forgets `c` (the test ended it itself). */
  untrack(c: RawBayeuxWs): void;
}

/** Registers an afterEach in the calling file that ends the test's peers and closes its server. */
export function useBayeuxHarness(): BayeuxFixture {
  let current: BayeuxHarness | undefined;
  const open: RawBayeuxWs[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) await c.end();
    await current?.close();
    current = undefined;
  });
  const fixture: BayeuxFixture = {
    get h(): BayeuxHarness {
      if (current === undefined) throw new Error('no Bayeux harness started in this test');
      return current;
    },
    async start(options) {
      current = await startBayeux(options);
      return current;
    },
    async stop() {
      const h = current;
      current = undefined;
      await h?.close();
    },
    async ws() {
      return fixture.track(await RawBayeuxWs.open(fixture.h.port));
    },
    track(c) {
      open.push(c);
      return c;
    },
    untrack(c) {
      const i = open.indexOf(c);
      if (i !== -1) open.splice(i, 1);
    },
  };
  return fixture;
}

/** POSTs `messages` as JSON to /bayeux (status 200 asserted): the replies and the reply's size in bytes. */
export async function postBayeux(
  port: number,
  messages: Message[],
): Promise<{ replies: Message[]; bytes: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/bayeux`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(messages),
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  return { replies: JSON.parse(text) as Message[], bytes: Buffer.byteLength(text) };
}

/** A long-polling client that handshakes, subscribes to `channel`, connects once, then goes quiet. */
export async function quietPollingClient(port: number, channel: string): Promise<string> {
  const { replies } = await postBayeux(port, [
    { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] },
  ]);
  const clientId = replies[0]?.clientId as string;
  const sub = await postBayeux(port, [{ channel: '/meta/subscribe', clientId, subscription: channel }]);
  expect(sub.replies[0]?.successful).toBe(true);
  await postBayeux(port, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling' }]);
  return clientId;
}

export type Frame =
  | { kind: 'messages'; messages: Message[] }
  | { kind: 'close'; code: number; reason: string };

/** Bayeux over WebSocket on a raw socket: frames in, frames out, nothing hidden. */
export class RawBayeuxWs {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  /** Set once the TCP connection is gone. */
  ended = false;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    const receiver = new Receiver(
      {
        onMessage: (data) =>
          this.#push({ kind: 'messages', messages: JSON.parse(data.toString()) as Message[] }),
        onPing: () => {},
        onPong: () => {},
        onClose: (code, reason) => this.#push({ kind: 'close', code, reason: reason.toString() }),
        onError: (err) =>
          this.#push({ kind: 'close', code: -1, reason: `client-side parse error ${err.code}` }),
      },
      false,
      { maxPayload: 64 * 1024 * 1024, maxFragments: 100_000, maxBufferedChunks: 1_000_000 },
    );
    socket.on('data', (c: Buffer) => receiver.write(c));
    socket.on('error', () => {
      // A reset by the server ends the connection like a FIN does; `ended` records it.
    });
    socket.on('close', () => {
      this.ended = true;
      this.#wake();
    });
  }

  static async open(port: number, path = '/bayeux'): Promise<RawBayeuxWs> {
    return new RawBayeuxWs(await rawWebSocket(port, path));
  }

  #push(frame: Frame): void {
    this.frames.push(frame);
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Sends one masked text frame (RFC 6455 5.3: client frames are masked). */
  sendText(text: string | Buffer): void {
    this.socket.write(encodeFrame(OPCODE.TEXT, text, { mask: true }));
  }

  sendRaw(frame: Buffer): void {
    this.socket.write(frame);
  }

  send(messages: Message[]): void {
    this.sendText(JSON.stringify(messages));
  }

  /** Resolves with the first frame (from `from` on) that satisfies `predicate`. */
  async waitFrame(predicate: (f: Frame) => boolean, what: string, ms = 5000, from = 0): Promise<Frame> {
    const find = (): Frame | undefined => this.frames.slice(from).find(predicate);
    return within(
      (async () => {
        for (;;) {
          const f = find();
          if (f !== undefined) return f;
          if (this.ended)
            throw new Error(`${what}: connection ended first (${JSON.stringify(this.frames.at(-1))})`);
          await new Promise<void>((r) => this.#waiters.push(r));
        }
      })(),
      ms,
      what,
    );
  }

  /** The reply to the message with this id. */
  async reply(id: string, ms = 5000): Promise<Message> {
    const f = await this.waitFrame(
      (fr) => fr.kind === 'messages' && fr.messages.some((m) => m.id === id),
      `reply to ${id}`,
      ms,
    );
    return (f as { messages: Message[] }).messages.find((m) => m.id === id) as Message;
  }

  /** Resolves once the server's close frame arrived or the connection ended; the close frame if any. */
  async closed(ms = 5000): Promise<{ code: number; reason: string } | undefined> {
    await within(
      (async () => {
        while (!this.ended && !this.frames.some((f) => f.kind === 'close'))
          await new Promise<void>((r) => this.#waiters.push(r));
      })(),
      ms,
      'server closing the socket',
    );
    const f = this.frames.find((fr) => fr.kind === 'close');
    return f?.kind === 'close' ? { code: f.code, reason: f.reason } : undefined;
  }

  /** Handshake + subscribe + first connect over this socket; resolves with the client id. */
  async join(subscription: string): Promise<string> {
    this.send([
      { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], id: 'h' },
    ]);
    const hs = await this.reply('h');
    if (hs.successful !== true) throw new Error(`handshake failed: ${JSON.stringify(hs)}`);
    const clientId = hs.clientId as string;
    this.send([{ channel: '/meta/subscribe', clientId, subscription, id: 's' }]);
    const sub = await this.reply('s');
    if (sub.successful !== true) throw new Error(`subscribe failed: ${JSON.stringify(sub)}`);
    this.send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: 'c0' }]);
    await this.reply('c0');
    // The next connect is held: it keeps the client alive (Bayeux §4.2) while pushes go over the socket.
    this.send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: 'c1' }]);
    return clientId;
  }

  /** Data of every message received on `channel`, in order. */
  data(channel: string): unknown[] {
    return this.frames.flatMap((f) =>
      f.kind === 'messages' ? f.messages.filter((m) => m.channel === channel).map((m) => m.data) : [],
    );
  }

  async end(): Promise<void> {
    if (this.ended) return;
    const closed = once(this.socket, 'close');
    this.socket.destroy();
    await closed;
  }
}
