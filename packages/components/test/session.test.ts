// SessionProvider over real sockets: a session issued by cookie on the 101, written by one connection,
// saved back, read (and written again) by the next connection with the cookie. MemorySessionStore
// bounds (maxSessionBytes, maxSessions, maxStoreBytes) crossed by one.

import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Connection,
  HttpServer,
  IoServer,
  MemorySessionStore,
  Session,
  SessionError,
  SessionProvider,
  type SessionStore,
  WsServer,
} from '../src/index.js';
import { listen, nextMessage, openWs, refusedStatus, until, type WS } from './helpers.js';

let server: IoServer | undefined;
const clients: WS[] = [];
afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  await server?.close();
  server = undefined;
});

/** Greets with the stored name; 'name X' stores X, 'count' increments a counter; both saved at once. */
const app = {
  onOpen(conn: Connection) {
    const s = conn.session;
    conn.send(`hello ${s?.get<string>('name') ?? 'stranger'} (${s?.isNew ? 'new' : 'known'})`);
  },
  async onMessage(conn: Connection, m: string | Buffer) {
    const text = String(m);
    const s = conn.session!;
    if (text.startsWith('name ')) s.set('name', text.slice(5));
    if (text === 'count') s.set('count', (s.get<number>('count') ?? 0) + 1);
    await s.save();
    conn.send(`saved ${JSON.stringify(s.toJSON())}`);
  },
};

describe('SessionProvider', () => {
  it('reads and writes back a session across two connections', async () => {
    const store = new MemorySessionStore();
    server = IoServer.factory(
      new HttpServer(new SessionProvider(new WsServer(app), store, { cookieName: 'sid' })),
      0,
      '127.0.0.1',
    );
    const url = await listen(server);
    let setCookie = '';
    const first = await openWs(url, {}, undefined, (res) => {
      setCookie = String(res.headers['set-cookie'] ?? '');
    });
    clients.push(first);
    expect(await nextMessage(first)).toBe('hello stranger (new)');
    expect(setCookie).toMatch(/^sid=[A-Za-z0-9_-]{32}; Path=\/; HttpOnly; SameSite=Lax$/);
    const sid = setCookie.split(';')[0]!.slice(4);
    first.send('name Ada');
    expect(await nextMessage(first)).toBe('saved {"name":"Ada"}');
    expect(store.load(sid)).toEqual({ name: 'Ada' });
    first.close();

    const second = await openWs(url, { headers: { Cookie: `other=1; sid=${sid}` } });
    clients.push(second);
    expect(await nextMessage(second)).toBe('hello Ada (known)');
    second.send('count');
    expect(await nextMessage(second)).toBe('saved {"name":"Ada","count":1}');
    expect(store.load(sid)).toEqual({ name: 'Ada', count: 1 });

    // An unknown or malformed id is never adopted: a new session with a new id.
    const stranger = await openWs(url, { headers: { Cookie: 'sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    clients.push(stranger);
    expect(await nextMessage(stranger)).toBe('hello stranger (new)');
    expect(store.load('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
  });

  it('a failing store load is published on pushwire:components:error (once) and the upgrade gets 500', async () => {
    // Regression: the load failed before any inner component had the connection, so no onError heard it
    // and nothing was published: the 500 had no trace.
    const failures = [new Error('store down'), 'not an Error'];
    let loads = 0;
    const store: SessionStore = {
      load: (id) => {
        loads++;
        const f = failures.shift();
        if (typeof f === 'string') throw f; // a sync throw of a non-Error
        return Promise.reject(Object.assign(f as Error, { id }));
      },
      save: () => {},
      destroy: () => {},
    };
    let opened = 0;
    const seen: Array<{ conn: unknown; error: Error }> = [];
    const onError = (m: unknown): void => void seen.push(m as { conn: unknown; error: Error });
    diagnostics.subscribe('pushwire:components:error', onError);
    try {
      server = IoServer.factory(
        new HttpServer(
          new SessionProvider(
            new WsServer({
              onOpen: () => {
                opened++;
              },
            }),
            store,
            { cookieName: 'sid' },
          ),
        ),
        0,
        '127.0.0.1',
      );
      const url = await listen(server);
      const cookie = { headers: { Cookie: 'sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } };
      expect(await refusedStatus(url, cookie)).toBe(500);
      expect(await refusedStatus(url, cookie)).toBe(500);
      expect(loads).toBe(2);
      expect(opened).toBe(0);
      expect(seen.map((m) => m.error.message)).toEqual(['store down', 'not an Error']);
      expect(seen[0]?.conn).toBeDefined();
    } finally {
      diagnostics.unsubscribe('pushwire:components:error', onError);
    }
  });

  it('saves a changed session when the connection closes', async () => {
    const store = new MemorySessionStore();
    let id = '';
    let closedConn: (() => void) | undefined;
    const done = new Promise<void>((r) => {
      closedConn = r;
    });
    const provider = new SessionProvider(
      new WsServer({
        onOpen: (conn: Connection) => {
          id = conn.session!.id;
          conn.session!.set('visited', true);
          conn.send('set');
        },
        onClose: () => closedConn?.(),
      }),
      store,
    );
    server = IoServer.factory(new HttpServer(provider), 0, '127.0.0.1');
    const url = await listen(server);
    const ws = await openWs(url);
    expect(await nextMessage(ws)).toBe('set');
    ws.close();
    await done;
    // onClose of the app ran; the save follows it.
    await until(() => store.size === 1);
    expect(store.load(id)).toEqual({ visited: true });
  });

  it('createIfMissing: false leaves conn.session undefined without a cookie', async () => {
    const seen: (Session | undefined)[] = [];
    const provider = new SessionProvider(
      new WsServer({
        onOpen: (conn: Connection) => {
          seen.push(conn.session);
          conn.send('x');
        },
      }),
      new MemorySessionStore(),
      { createIfMissing: false },
    );
    server = IoServer.factory(new HttpServer(provider), 0, '127.0.0.1');
    const url = await listen(server);
    const ws = await openWs(url);
    clients.push(ws);
    expect(await nextMessage(ws)).toBe('x');
    expect(seen).toEqual([undefined]);
  });
});

describe('MemorySessionStore bounds', () => {
  it('maxSessionBytes: a session of N JSON bytes is stored, N + 1 rejects', () => {
    const store = new MemorySessionStore({ maxSessionBytes: 20 });
    const data = (n: number) => ({ v: 'x'.repeat(n - 8) }); // {"v":""} is 8 bytes
    expect(JSON.stringify(data(20)).length).toBe(20);
    store.save('a', data(20));
    expect(store.bytes).toBe(20);
    expect(() => store.save('b', data(21))).toThrow(SessionError);
    try {
      store.save('b', data(21));
    } catch (err) {
      expect((err as SessionError).code).toBe('SESSION_TOO_LARGE');
    }
  });

  it('maxSessions: N sessions kept, the N + 1st evicts the least recently used', () => {
    const store = new MemorySessionStore({ maxSessions: 2 });
    store.save('a', { n: 1 });
    store.save('b', { n: 2 });
    store.load('a'); // a is now more recent than b
    store.save('c', { n: 3 });
    expect(store.size).toBe(2);
    expect(store.load('b')).toBeUndefined();
    expect(store.load('a')).toEqual({ n: 1 });
  });

  it('maxStoreBytes: total JSON bytes bounded, oldest evicted past it', () => {
    const store = new MemorySessionStore({ maxStoreBytes: 16 });
    store.save('a', { v: 'ab' }); // 10 bytes
    store.save('b', { v: '' }); // 8 bytes: 18 > 16, a evicted
    expect(store.load('a')).toBeUndefined();
    expect(store.bytes).toBe(8);
    store.save('c', { v: '' }); // 16: fits exactly
    expect(store.size).toBe(2);
  });

  it('values that are not JSON are refused; a session saves what was set and reloads', async () => {
    const store = new MemorySessionStore();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => store.save('x', cyclic)).toThrow(SessionError);
    const s = new Session('s1', store, {}, true);
    s.set('a', 1);
    expect(s.dirty).toBe(true);
    await s.save();
    expect(s.dirty).toBe(false);
    store.save('s1', { a: 2 });
    await s.reload();
    expect(s.get('a')).toBe(2);
    await s.destroy();
    expect(store.load('s1')).toBeUndefined();
  });
});
