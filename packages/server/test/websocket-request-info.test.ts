// Over a WebSocket the upgrade IncomingMessage is no longer kept for the socket's life (issue 13, memory
// per idle client): policies and extensions get a frozen RequestInfo (method, URL, headers) built from it
// once, on EVERY frame of the socket, long after the upgrade request itself is gone.
import { IncomingMessage } from 'node:http';
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RequestContext, RequestInfo } from '../src/index.js';
import { requestInfoOf } from '../src/transports/websocket.js';
import { type Harness, startServer, until } from './helpers/http.js';

let h: Harness | undefined;
let ws: WebSocket | undefined;
afterEach(async () => {
  ws?.terminate();
  ws = undefined;
  await h?.close();
  h = undefined;
});

interface Seen {
  hook: string;
  req: RequestInfo | undefined;
  remoteAddress: string | undefined;
  transport: string;
}

function record(seen: Seen[], hook: string, ctx: RequestContext): true {
  seen.push({ hook, req: ctx.req, remoteAddress: ctx.remoteAddress, transport: ctx.transport });
  return true;
}

describe('websocket: what policies and extensions see of the upgrade request', () => {
  it('every hook, on every frame, sees the upgrade headers, URL and address (not the IncomingMessage)', async () => {
    const seen: Seen[] = [];
    h = await startServer({
      securityPolicy: {
        canHandshake: (_m, ctx) => record(seen, 'canHandshake', ctx),
        canSubscribe: (_c, _s, _m, ctx) => record(seen, 'canSubscribe', ctx),
        canPublish: (_c, _ch, _m, ctx) => record(seen, 'canPublish', ctx),
      },
    });
    h.bayeux.addExtension({
      incoming: (m, ctx) => {
        if (m.channel === '/meta/connect') record(seen, 'incoming connect', ctx);
        return m;
      },
    });
    const frames: Message[][] = [];
    ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}?room=7`, {
      headers: { 'x-token': 'secret-42', cookie: 'sid=abc' },
    });
    ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Message[]));
    await new Promise<void>((resolve, reject) => {
      ws!.once('open', () => resolve());
      ws!.once('error', reject);
    });
    ws.send(
      JSON.stringify([
        { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], id: '1' },
      ]),
    );
    await until(() => frames.length >= 1, 'handshake reply');
    const clientId = frames[0]?.[0]?.clientId as string;
    expect(typeof clientId).toBe('string');
    // Separate frames: the later ones arrive long after the upgrade request was let go.
    ws.send(JSON.stringify([{ channel: '/meta/subscribe', clientId, subscription: '/room/7', id: '2' }]));
    await until(() => frames.length >= 2, 'subscribe reply');
    ws.send(JSON.stringify([{ channel: '/room/7', clientId, data: 'hi', id: '3' }]));
    await until(() => frames.length >= 3, 'publish');
    ws.send(
      JSON.stringify([
        { channel: '/meta/connect', clientId, connectionType: 'websocket', id: '4', advice: { timeout: 0 } },
      ]),
    );
    await until(() => seen.some((s) => s.hook === 'incoming connect'), 'connect');

    expect(seen.map((s) => s.hook)).toEqual([
      'canHandshake',
      'canSubscribe',
      'canPublish',
      'incoming connect',
    ]);
    for (const s of seen) {
      expect(s.transport).toBe('websocket');
      expect(s.remoteAddress).toBe('127.0.0.1');
      expect(s.req?.headers['x-token']).toBe('secret-42');
      expect(s.req?.headers.cookie).toBe('sid=abc');
      expect(s.req?.url).toBe('/bayeux?room=7');
      expect(s.req?.method).toBe('GET');
      // Not the request object: no stream, no socket kept per connected client.
      expect(s.req).not.toBeInstanceOf(IncomingMessage);
      expect(Object.isFrozen(s.req)).toBe(true);
      // The opening handshake's own headers are not kept (RFC 6455 4.1: done before any frame).
      expect(s.req?.headers['sec-websocket-key']).toBeUndefined();
      expect(s.req?.headers.host).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    // Built once per socket: the same object on every frame.
    expect(new Set(seen.map((s) => s.req)).size).toBe(1);
  });

  it('long-polling still hands policies the IncomingMessage itself', async () => {
    const seen: Seen[] = [];
    h = await startServer({
      securityPolicy: { canHandshake: (_m, ctx) => record(seen, 'canHandshake', ctx) },
    });
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'x-token': 'lp' },
      body: JSON.stringify([
        { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: '1' },
      ]),
    });
    expect(res.status).toBe(200);
    await res.text();
    expect(seen[0]?.req).toBeInstanceOf(IncomingMessage);
    expect(seen[0]?.req?.headers['x-token']).toBe('lp');
  });

  it("requestInfoOf keeps method, URL and headers, without the opening handshake's own, all frozen", () => {
    const headers = {
      host: 'h',
      cookie: 'c=1',
      'sec-websocket-protocol': 'bayeux',
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
      'sec-websocket-extensions': 'permessage-deflate',
    };
    const req = { method: 'GET', url: '/bayeux', headers, socket: {}, rawHeaders: ['Host', 'h'] };
    const info = requestInfoOf(req as unknown as IncomingMessage);
    expect(Object.keys(info)).toEqual(['method', 'url', 'headers']);
    expect(info.headers).toEqual({ host: 'h', cookie: 'c=1', 'sec-websocket-protocol': 'bayeux' });
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.isFrozen(info.headers)).toBe(true);
  });
});

describe('requestInfoOf: sockets with the same upgrade headers share them', () => {
  const upgrade = (headers: Record<string, string | string[]>): IncomingMessage =>
    ({ method: 'GET', url: '/bayeux', headers }) as unknown as IncomingMessage;
  const base = { host: 'example.org', 'user-agent': 'ua/1', 'sec-websocket-key': 'k' };

  it('the same names and values: one frozen headers object (each socket keeps its own RequestInfo)', () => {
    const a = requestInfoOf(upgrade({ ...base, 'sec-websocket-key': 'a' }));
    const b = requestInfoOf(upgrade({ ...base, 'sec-websocket-key': 'b' }));
    expect(b.headers).toBe(a.headers);
    expect(b).not.toBe(a);
    expect(Object.isFrozen(a.headers)).toBe(true);
    expect(a.headers).toEqual({ host: 'example.org', 'user-agent': 'ua/1' });
  });

  it('a different value, an extra or a missing header, or a list value: its own headers', () => {
    const a = requestInfoOf(upgrade(base));
    const other = requestInfoOf(upgrade({ ...base, host: 'example.com' }));
    expect(other.headers).not.toBe(a.headers);
    expect(other.headers.host).toBe('example.com');
    const extra = requestInfoOf(upgrade({ ...base, host: 'example.com', cookie: 'x=1' }));
    expect(extra.headers).not.toBe(other.headers);
    expect(extra.headers.cookie).toBe('x=1');
    const missing = requestInfoOf(upgrade({ host: 'example.com', cookie: 'x=1' }));
    expect(missing.headers).not.toBe(extra.headers);
    expect(missing.headers['user-agent']).toBeUndefined();
    const list1 = requestInfoOf(upgrade({ 'set-cookie': ['a=1'] }));
    const list2 = requestInfoOf(upgrade({ 'set-cookie': ['a=2'] }));
    expect(list2.headers).not.toBe(list1.headers);
    expect(list2.headers['set-cookie']).toEqual(['a=2']);
  });
});
