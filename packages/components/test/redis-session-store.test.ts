// RedisSessionStore against the real Redis at 127.0.0.1:6379 (shared: every test has its own random key
// prefix and deletes its keys). Store behaviour (load / save / destroy, sliding PX expiry read back with
// PTTL, maxSessionBytes crossed by one, corrupt stored data, Redis errors as rejections), then two IoServer
// "nodes" with their own Redis clients sharing sessions over real WebSocket connections.
// In CI (env CI set) an unreachable Redis fails the file; elsewhere it is skipped with a loud message.

import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { type Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type Connection,
  HttpServer,
  IoServer,
  REDIS_SESSION_PREFIX,
  type RedisSessionClient,
  RedisSessionStore,
  Session,
  SessionError,
  SessionProvider,
  WsServer,
} from '../src/index.js';
import { listen, nextMessage, openWs, refusedStatus, type WS } from './helpers.js';

const REDIS = { host: '127.0.0.1', port: 6379 };

function connect(): Redis {
  // No retries and no offline queue: a command on a dead connection rejects at once rather than waits.
  return new Redis({
    ...REDIS,
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
}

async function probe(): Promise<string | undefined> {
  const c = connect();
  c.on('error', () => {});
  try {
    await c.connect();
    if ((await c.ping()) !== 'PONG') return 'PING did not answer PONG';
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    c.disconnect();
  }
}

const unreachable = await probe();
if (unreachable !== undefined) {
  const message = `Redis at ${REDIS.host}:${REDIS.port} is unreachable (${unreachable})`;
  if (process.env.CI) throw new Error(`${message}: RedisSessionStore tests cannot run in CI without it`);
  console.warn(`\n!!!!!!!!\n!!! ${message}: RedisSessionStore tests SKIPPED\n!!!!!!!!\n`);
}

// Compile-time proof that ioredis clients fit the port structurally (no adapter, no runtime dependency).
const fitsRedis: (c: Redis) => RedisSessionClient = (c) => c;
const fitsCluster: (c: Cluster) => RedisSessionClient = (c) => c;
void fitsRedis;
void fitsCluster;

let prefix = '';
const redisClients: Redis[] = [];
let admin: Redis;

async function client(): Promise<Redis> {
  const c = connect();
  redisClients.push(c);
  await c.connect();
  return c;
}

async function ourKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

function sessionError(code: string): unknown {
  return expect.objectContaining({ name: 'SessionError', code });
}

async function deleteOurKeys(): Promise<void> {
  const keys = await ourKeys();
  if (keys.length > 0) await admin.del(...keys);
}

describe.skipIf(unreachable !== undefined)('Redis sessions', () => {
  beforeAll(async () => {
    admin = await client();
  });
  beforeEach(() => {
    prefix = `pushwire:test:${randomUUID()}:`;
  });
  afterAll(() => {
    for (const c of redisClients.splice(0)) c.disconnect();
  });

  describe('RedisSessionStore', () => {
    afterEach(deleteOurKeys);

    it('saves JSON under prefix + id, loads it back, destroys it', async () => {
      const store = new RedisSessionStore({ client: await client(), prefix });
      expect(store.key('abc')).toBe(`${prefix}abc`);
      expect(await store.load('abc')).toBeUndefined();
      await store.save('abc', { name: 'Ada', n: 1, tags: ['x'], nested: { ok: true } });
      expect(await admin.get(`${prefix}abc`)).toBe('{"name":"Ada","n":1,"tags":["x"],"nested":{"ok":true}}');
      expect(await store.load('abc')).toEqual({ name: 'Ada', n: 1, tags: ['x'], nested: { ok: true } });
      await store.save('abc', { name: 'Bob' }); // replaces, not merges
      expect(await store.load('abc')).toEqual({ name: 'Bob' });
      await store.destroy('abc');
      expect(await admin.exists(`${prefix}abc`)).toBe(0);
      expect(await store.load('abc')).toBeUndefined();
      await store.destroy('abc'); // destroying an absent session is fine
    });

    it('defaults: prefix pushwire:session:, ttl 24 h, maxSessionBytes 64 KiB', async () => {
      const store = new RedisSessionStore({ client: await client() });
      expect(store.prefix).toBe(REDIS_SESSION_PREFIX);
      expect(REDIS_SESSION_PREFIX).toBe('pushwire:session:');
      expect(store.ttl).toBe(24 * 60 * 60 * 1000);
      expect(store.maxSessionBytes).toBe(64 * 1024);
      const c = await client();
      expect(() => new RedisSessionStore({ client: c, ttl: 0 })).toThrow(TypeError);
      expect(() => new RedisSessionStore({ client: c, ttl: 1.5 })).toThrow(TypeError);
      expect(() => new RedisSessionStore({ client: c, maxSessionBytes: -1 })).toThrow(TypeError);
      expect(() => new RedisSessionStore({} as { client: RedisSessionClient })).toThrow(TypeError);
    });

    it('ttl is a sliding PX expiry: save and load both reset it', async () => {
      const store = new RedisSessionStore({ client: await client(), prefix, ttl: 300 });
      const key = `${prefix}s`;
      await store.save('s', { a: 1 });
      const fresh = await admin.pttl(key);
      expect(fresh).toBeGreaterThan(0);
      expect(fresh).toBeLessThanOrEqual(300);

      // Stand in for time passing: shorten the expiry by hand, then see save() and load() reset it.
      const long = new RedisSessionStore({ client: await client(), prefix, ttl: 60_000 });
      await long.save('s', { a: 2 });
      expect(await admin.pttl(key)).toBeGreaterThan(300);
      await admin.pexpire(key, 50);
      await long.save('s', { a: 3 });
      expect(await admin.pttl(key)).toBeGreaterThan(1_000);
      await admin.pexpire(key, 50);
      expect(await long.load('s')).toEqual({ a: 3 });
      expect(await admin.pttl(key)).toBeGreaterThan(1_000);

      // Expired (an expiry in the past removes the key at once): unknown.
      await admin.pexpireat(key, 1);
      expect(await long.load('s')).toBeUndefined();
    });

    it('maxSessionBytes: N JSON bytes saved, N + 1 rejected with SESSION_TOO_LARGE and nothing written', async () => {
      const store = new RedisSessionStore({ client: await client(), prefix, maxSessionBytes: 20 });
      const data = (n: number) => ({ v: 'x'.repeat(n - 8) }); // {"v":""} is 8 bytes
      await store.save('a', data(20));
      expect(await admin.strlen(`${prefix}a`)).toBe(20);
      await expect(store.save('b', data(21))).rejects.toEqual(sessionError('SESSION_TOO_LARGE'));
      await expect(store.save('b', data(21))).rejects.toBeInstanceOf(SessionError);
      expect(await admin.exists(`${prefix}b`)).toBe(0);
      // An oversized save leaves the session as it was.
      await expect(store.save('a', data(21))).rejects.toEqual(sessionError('SESSION_TOO_LARGE'));
      expect(await store.load('a')).toEqual(data(20));
      // Bytes, not characters: 'é' is two bytes of UTF-8.
      await expect(store.save('c', { v: 'é'.repeat(7) })).rejects.toEqual(sessionError('SESSION_TOO_LARGE'));
      // A larger one written by another writer is refused on load too.
      await admin.set(`${prefix}d`, JSON.stringify(data(21)));
      await expect(store.load('d')).rejects.toEqual(sessionError('SESSION_TOO_LARGE'));
    });

    it('corrupt stored data rejects with SESSION_NOT_JSON; data that is not JSON is never written', async () => {
      const store = new RedisSessionStore({ client: await client(), prefix });
      for (const raw of ['{"a":', 'not json', '42', 'null', '[1,2]', '"text"']) {
        await admin.set(`${prefix}bad`, raw);
        await expect(store.load('bad')).rejects.toEqual(sessionError('SESSION_NOT_JSON'));
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await expect(store.save('c', cyclic)).rejects.toEqual(sessionError('SESSION_NOT_JSON'));
      await expect(store.save('c', { n: 1n })).rejects.toEqual(sessionError('SESSION_NOT_JSON'));
      await expect(store.save('c', { toJSON: () => undefined })).rejects.toEqual(
        sessionError('SESSION_NOT_JSON'),
      );
      expect(await admin.exists(`${prefix}c`)).toBe(0);
    });

    it('Redis errors are rejections, passed on unchanged', async () => {
      const store = new RedisSessionStore({ client: await client(), prefix });
      // A reply error from the server: the key holds a hash, GETEX answers WRONGTYPE.
      await admin.hset(`${prefix}h`, 'f', 'v');
      await expect(store.load('h')).rejects.toThrow(/WRONGTYPE/);

      // A connection that is gone: every command rejects, and a Session stays dirty for a later retry.
      const dead = await client();
      dead.on('error', () => {});
      dead.disconnect();
      const down = new RedisSessionStore({ client: dead, prefix });
      await expect(down.load('x')).rejects.toThrow();
      await expect(down.save('x', { a: 1 })).rejects.toThrow();
      await expect(down.destroy('x')).rejects.toThrow();
      const session = new Session('x', down, {}, true);
      session.set('a', 1);
      await expect(session.save()).rejects.toThrow();
      expect(session.dirty).toBe(true);

      // Nothing listening at all.
      const port = await closedPort();
      const nowhere = new Redis({
        host: '127.0.0.1',
        port,
        lazyConnect: true,
        enableOfflineQueue: false,
        retryStrategy: () => null,
      });
      nowhere.on('error', () => {});
      redisClients.push(nowhere);
      await nowhere.connect().catch(() => {});
      await expect(new RedisSessionStore({ client: nowhere, prefix }).load('x')).rejects.toThrow();
      expect(await ourKeys()).toEqual([`${prefix}h`]);
    });
  });

  /** A port nothing listens on (bound, then closed). */
  function closedPort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
  }

  /** Greets with the stored name and the node's letter; 'name X' stores X, 'count' increments; saved at once. */
  function app(node: string) {
    return {
      onOpen(conn: Connection) {
        const s = conn.session;
        conn.send(`${node}: hello ${s?.get<string>('name') ?? 'stranger'} (${s?.isNew ? 'new' : 'known'})`);
      },
      async onMessage(conn: Connection, m: string | Buffer) {
        const text = String(m);
        const s = conn.session!;
        if (text.startsWith('name ')) s.set('name', text.slice(5));
        if (text === 'count') s.set('count', (s.get<number>('count') ?? 0) + 1);
        await s.save();
        conn.send(`${node}: saved ${JSON.stringify(s.toJSON())}`);
      },
    };
  }

  describe('SessionProvider with RedisSessionStore on two nodes', () => {
    const servers: IoServer[] = [];
    const sockets: WS[] = [];
    afterEach(async () => {
      for (const ws of sockets.splice(0)) ws.terminate();
      await Promise.all(servers.splice(0).map((s) => s.close()));
      await deleteOurKeys();
    });

    /** One node: its own IoServer and its own Redis connection, the shared prefix. */
    async function node(name: string): Promise<string> {
      const store = new RedisSessionStore({ client: await client(), prefix, ttl: 60_000 });
      const server = IoServer.factory(
        new HttpServer(new SessionProvider(new WsServer(app(name)), store, { cookieName: 'sid' })),
        0,
        '127.0.0.1',
      );
      servers.push(server);
      return listen(server);
    }

    async function open(url: string, sid?: string, onCookie?: (c: string) => void): Promise<WS> {
      const ws = await openWs(url, sid ? { headers: { Cookie: `sid=${sid}` } } : {}, undefined, (res) => {
        onCookie?.(String(res.headers['set-cookie'] ?? ''));
      });
      sockets.push(ws);
      return ws;
    }

    it('a session written through node A is read and written through node B with the same cookie', async () => {
      const a = await node('A');
      const b = await node('B');
      expect(a).not.toBe(b);

      let setCookie = '';
      const onA = await open(a, undefined, (c) => {
        setCookie = c;
      });
      expect(await nextMessage(onA)).toBe('A: hello stranger (new)');
      expect(setCookie).toMatch(/^sid=[A-Za-z0-9_-]{32}; Path=\/; HttpOnly; SameSite=Lax$/);
      const sid = setCookie.split(';')[0]!.slice(4);
      onA.send('name Ada');
      expect(await nextMessage(onA)).toBe('A: saved {"name":"Ada"}');
      expect(await admin.get(`${prefix}${sid}`)).toBe('{"name":"Ada"}');
      expect(await admin.pttl(`${prefix}${sid}`)).toBeGreaterThan(1_000);

      let secondCookie: string | undefined;
      const onB = await open(b, sid, (c) => {
        secondCookie = c;
      });
      expect(await nextMessage(onB)).toBe('B: hello Ada (known)');
      expect(secondCookie).toBe(''); // a known session: no new cookie
      onB.send('count');
      expect(await nextMessage(onB)).toBe('B: saved {"name":"Ada","count":1}');
      expect(await admin.get(`${prefix}${sid}`)).toBe('{"name":"Ada","count":1}');

      // Back on A (a new connection, the other still open): B's write is there.
      const againA = await open(a, sid);
      expect(await nextMessage(againA)).toBe('A: hello Ada (known)');
      againA.send('count');
      expect(await nextMessage(againA)).toBe('A: saved {"name":"Ada","count":2}');
      expect(await ourKeys()).toEqual([`${prefix}${sid}`]);
    });

    it('a session destroyed in Redis is unknown on both nodes; corrupt data refuses the upgrade with 500', async () => {
      const a = await node('A');
      const b = await node('B');
      let setCookie = '';
      const onA = await open(a, undefined, (c) => {
        setCookie = c;
      });
      expect(await nextMessage(onA)).toBe('A: hello stranger (new)');
      const sid = setCookie.split(';')[0]!.slice(4);
      onA.send('name Ada');
      expect(await nextMessage(onA)).toBe('A: saved {"name":"Ada"}');

      await admin.del(`${prefix}${sid}`);
      let newCookie = '';
      const onB = await open(b, sid, (c) => {
        newCookie = c;
      });
      expect(await nextMessage(onB)).toBe('B: hello stranger (new)');
      expect(newCookie).toMatch(/^sid=[A-Za-z0-9_-]{32};/);
      expect(newCookie).not.toContain(sid); // never adopts the client's id

      await admin.set(`${prefix}${sid}`, '{"name":');
      expect(await refusedStatus(b, { headers: { Cookie: `sid=${sid}` } })).toBe(500);
      expect(await refusedStatus(a, { headers: { Cookie: `sid=${sid}` } })).toBe(500);
    });
  });
});
