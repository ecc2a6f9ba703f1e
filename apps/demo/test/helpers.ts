// Shared by the demo's tests: a demo server on 127.0.0.1:0, Node Bayeux clients, raw chat sockets.
import { request } from 'node:http';
import { Client, type TransportName } from '@pushwire/client';
import { WebSocket } from '@pushwire/websocket';
import { afterAll, beforeAll } from 'vitest';
import type { DemoServerOptions } from '../src/server/options.js';
import { type DemoServer, startDemoServer } from '../src/server/server.js';
import type { RawServerFrame } from '../src/shared/protocol.js';

export async function demo(options: DemoServerOptions = {}): Promise<DemoServer> {
  return startDemoServer({ port: 0, ...options });
}

export function bayeuxClient(server: DemoServer, transport: TransportName = 'long-polling'): Client {
  return new Client(`${server.url}bayeux`, { transports: [transport], shortPollingInterval: 100 });
}

/** A Bayeux chat client: its handshake gives the nickname the server's presence shows (as the chat page's). */
export function chatClient(
  server: DemoServer,
  nick: string,
  transport: TransportName = 'long-polling',
): Client {
  return new Client(`${server.url}bayeux`, {
    transports: [transport],
    shortPollingInterval: 100,
    onBeforeHandshake: (m) => {
      m.ext = { ...m.ext, chat: { nick, technique: transport } };
    },
  });
}

/** Resolves once the async `fn` returns something other than undefined (polled). */
export async function eventually<T>(fn: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw chat socket that records every frame; `next(type)` waits for the next frame of a type. */
export function rawChatter(server: DemoServer, query: string, origin?: string) {
  const url = `${server.url.replace('http', 'ws')}ws/chat?${query}`;
  const ws = new WebSocket(url, [], origin === undefined ? {} : { origin });
  const frames: RawServerFrame[] = [];
  const waiters: { test: (f: RawServerFrame) => boolean; resolve: (f: RawServerFrame) => void }[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as RawServerFrame;
    frames.push(frame);
    for (const w of [...waiters]) {
      if (w.test(frame)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(frame);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => undefined);
  return {
    ws,
    frames,
    closed,
    opened: new Promise<void>((resolve) => ws.on('open', () => resolve())),
    next<T extends RawServerFrame['type']>(
      type: T,
      test: (f: Extract<RawServerFrame, { type: T }>) => boolean = () => true,
    ) {
      const found = frames.find((f) => f.type === type && test(f as Extract<RawServerFrame, { type: T }>));
      if (found) return Promise.resolve(found as Extract<RawServerFrame, { type: T }>);
      return new Promise<Extract<RawServerFrame, { type: T }>>((resolve) =>
        waiters.push({
          test: (f) => f.type === type && test(f as Extract<RawServerFrame, { type: T }>),
          resolve: resolve as (f: RawServerFrame) => void,
        }),
      );
    },
  };
}

/** Sends an upgrade request and resolves with the HTTP status of a refusal (or 101). */
export function upgradeStatus(
  server: DemoServer,
  path: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url.slice(0, -1)}${path}`, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with the first value `fn` returns that is not undefined (awaiting events via polling a predicate). */
export function waitFor<T>(fn: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      const v = fn();
      if (v !== undefined) resolve(v);
      else if (Date.now() - started > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

/** A PNG by its signature, `size` bytes in all: what the upload checks look at (the type is in the bytes). */
export function png(size: number): Buffer {
  const head = Buffer.from('89504e470d0a1a0a', 'hex');
  return Buffer.concat([head, Buffer.alloc(size - head.length, 7)]);
}

export interface DemoFixture {
  /** The file's server (set before its first test). */
  readonly server: DemoServer;
  /** A Bayeux client of the server, disconnected after the file's tests. */
  client(transport?: TransportName): Client;
  /** Disconnects `c` after the file's tests. */
  track(c: Client): Client;
}

/** One demo server for a test file: started before its tests, closed (with its tracked clients) after. */
export function demoPerFile(options: DemoServerOptions = {}): DemoFixture {
  let server: DemoServer | undefined;
  const clients: Client[] = [];
  beforeAll(async () => {
    server = await demo(options);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect()));
    await server?.close();
  });
  const fixture: DemoFixture = {
    get server() {
      if (server === undefined) throw new Error('demoPerFile: the server starts in beforeAll');
      return server;
    },
    client: (transport = 'long-polling') => fixture.track(bayeuxClient(fixture.server, transport)),
    track: (c) => {
      clients.push(c);
      return c;
    },
  };
  return fixture;
}
