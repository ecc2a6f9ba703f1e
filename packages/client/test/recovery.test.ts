// Automatic recovery on channels with history (issue 9), on every transport: the client remembers the
// last position per subscription and re-subscribes with `ext.recover` after a re-handshake (session lost)
// or a server restart; the app sees every message exactly once, in order, and a `recovery` event.
// Publishes race the reconnect (server-side publishes from a seeded schedule, many rounds).

import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, type Recovery, type TransportName } from '../src/index.js';
import { collector, type OurServer, once, startOurs } from './helpers.js';
import { kill, startProcess } from './server-process.js';

const TRANSPORTS: TransportName[] = ['websocket', 'long-polling', 'callback-polling', 'short-polling'];
const CHANNELS = { '/chat/**': { history: { size: 500 } }, '/room/*': { presence: true } };

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe.each(TRANSPORTS)('recovery over %s', (transport) => {
  const servers: OurServer[] = [];
  const clients: Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.disconnect();
    for (const s of servers.splice(0)) await s.close();
  });

  function client(url: string): Client {
    const c = new Client(url, {
      transports: [transport],
      backoffIncrement: 20,
      maxBackoff: 100,
      backoffJitter: 0,
      shortPollingInterval: 20,
    });
    clients.push(c);
    return c;
  }

  it('sessions lost and connections cut while publishes race: each message once, in order (seeded)', async () => {
    const server = await startOurs({ channels: CHANNELS, timeout: 500, interval: 0 });
    servers.push(server);
    const c = client(server.url);
    const inbox = collector<[unknown]>();
    await c.subscribe('/chat/feed', (data) => inbox.handler(data));
    const recoveries = collector<[string, Recovery]>();
    c.on('recovery', recoveries.handler);
    const random = seeded(transport.length * 31 + 7);
    let n = 0;
    const publishSome = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        await server.bayeux.publish('/chat/feed', ++n);
        // Sometimes yield to I/O so the reconnect interleaves with the publishes.
        if (random() < 0.5) await new Promise((r) => setImmediate(r));
      }
    };
    for (let round = 0; round < 8; round++) {
      await publishSome(1 + Math.floor(random() * 3));
      const loseSession = round % 2 === 0;
      const clientId = c.clientId;
      // A network cut; every other round the session is lost too (expired while away): re-handshake.
      server.cut();
      if (loseSession && clientId !== null) await server.bayeux.engine.destroyClient(clientId, 'expired');
      const racing = publishSome(1 + Math.floor(random() * 6));
      if (loseSession) {
        const [channel, recovery] = await recoveries.next();
        expect(channel).toBe('/chat/feed');
        expect(recovery.recovered).toBe(true);
      }
      await racing;
      // Everything published so far arrives, each once.
      while (inbox.items.length < n) await inbox.next();
      expect(inbox.items.map(([d]) => d)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }
    await publishSome(1);
    while (inbox.items.length < n) await inbox.next();
    expect(inbox.items.map(([d]) => d)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(recoveries.items.length).toBe(4);
  });

  it('a restarted server (memory engine) gives recovered false, then delivers the new stream', async () => {
    const first = await startOurs({ channels: CHANNELS, timeout: 500 });
    const c = client(first.url);
    const inbox = collector<[unknown]>();
    await c.subscribe('/chat/restart', (data) => inbox.handler(data));
    await first.bayeux.publish('/chat/restart', 'before');
    expect((await inbox.next())[0]).toBe('before');
    const recoveries = collector<[string, Recovery]>();
    c.on('recovery', recoveries.handler);
    await first.close();
    const second = await startOurs({ channels: CHANNELS, timeout: 500, port: first.port });
    servers.push(second);
    const [channel, recovery] = await recoveries.next();
    expect(channel).toBe('/chat/restart');
    expect(recovery.recovered).toBe(false);
    expect(recovery.offset).toBe(0);
    await second.bayeux.publish('/chat/restart', 'after');
    expect((await inbox.next())[0]).toBe('after');
    expect(inbox.items.map(([d]) => d)).toEqual(['before', 'after']);
  });

  it('history: N on the first subscribe gives the newest N messages', async () => {
    const server = await startOurs({ channels: CHANNELS });
    servers.push(server);
    for (let i = 1; i <= 5; i++) await server.bayeux.publish('/chat/recent', i);
    const c = client(server.url);
    const inbox = collector<[unknown]>();
    await c.subscribe('/chat/recent', (data) => inbox.handler(data), { history: 3 });
    await server.bayeux.publish('/chat/recent', 6);
    while (inbox.items.length < 4) await inbox.next();
    expect(inbox.items.map(([d]) => d)).toEqual([3, 4, 5, 6]);
  });

  it('presence: client.presence() and join/leave events on /presence<channel>', async () => {
    const server = await startOurs({
      channels: CHANNELS,
      presenceInfo: (hs) => (hs.ext as { nick?: string } | undefined)?.nick ?? null,
    });
    servers.push(server);
    const watcher = client(server.url);
    const events = collector<[unknown]>();
    await watcher.subscribe('/presence/room/lobby', (data) => events.handler(data));
    const ann = new Client(server.url, {
      transports: [transport],
      shortPollingInterval: 20,
      onBeforeHandshake: (m) => {
        m.ext = { nick: 'ann' };
      },
    });
    clients.push(ann);
    const sub = ann.subscribe('/room/lobby', () => {});
    await sub;
    expect((await events.next())[0]).toMatchObject({ action: 'join', member: { info: 'ann' }, count: 1 });
    const who = await watcher.presence('/room/lobby');
    expect(who.count).toBe(1);
    expect(who.members?.map((m) => m.info)).toEqual(['ann']);
    expect(await watcher.presence('/room/lobby', { members: false })).toEqual({
      channel: '/room/lobby',
      count: 1,
    });
    await sub.unsubscribe();
    expect((await events.next())[0]).toMatchObject({ action: 'leave', member: { info: 'ann' }, count: 0 });
    await expect(watcher.presence('/nope')).rejects.toThrow();
  });
});

describe('recovery edge cases', () => {
  it('a wildcard subscription asks no recovery; a connected client is not told anything', async () => {
    const server = await startOurs({ channels: CHANNELS });
    const c = new Client(server.url, { transports: ['long-polling'] });
    try {
      const seen: unknown[] = [];
      c.on('recovery', (...args) => seen.push(args));
      const inbox = collector<[unknown]>();
      await c.subscribe('/chat/*', (data) => inbox.handler(data));
      await server.bayeux.publish('/chat/w', 1);
      expect((await inbox.next())[0]).toBe(1);
      const [, reestablished] = await Promise.all([
        once<[unknown, boolean]>((l) => c.on('handshake', l)),
        server.bayeux.engine.destroyClient(c.clientId as string, 'expired'),
      ]).then(([args]) => args);
      expect(reestablished).toBe(true);
      await once<[string]>((l) => c.on('subscribed', l));
      expect(seen).toEqual([]);
    } finally {
      await c.disconnect();
      await server.close();
    }
  });
});

describe('server process killed (SIGKILL) and restarted, memory engine', () => {
  const children: ChildProcess[] = [];
  const clients: Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.disconnect();
    for (const child of children.splice(0)) await kill(child);
  });

  it.each<TransportName>(['websocket', 'long-polling'])(
    'over %s: recovered false, not silence',
    async (transport) => {
      const first = await startProcess('history-server-process.ts');
      children.push(first.child);
      const url = `http://127.0.0.1:${first.port}/bayeux`;
      const options = { transports: [transport], backoffIncrement: 50, maxBackoff: 200, backoffJitter: 0 };
      const subscriber = new Client(url, options);
      const publisher = new Client(url, { ...options, transports: ['long-polling' as const] });
      clients.push(subscriber, publisher);
      const inbox = collector<[unknown]>();
      await subscriber.subscribe('/chat/killed', (data) => inbox.handler(data));
      await publisher.publish('/chat/killed', 'before');
      expect((await inbox.next())[0]).toBe('before');
      const recoveries = collector<[string, Recovery]>();
      subscriber.on('recovery', recoveries.handler);
      await kill(first.child);
      const second = await startProcess('history-server-process.ts', first.port);
      children.push(second.child);
      const [channel, recovery] = await recoveries.next();
      expect(channel).toBe('/chat/killed');
      expect(recovery).toMatchObject({ recovered: false, offset: 0 });
      await publisher.publish('/chat/killed', 'after');
      expect((await inbox.next())[0]).toBe('after');
      expect(inbox.items.map(([d]) => d)).toEqual(['before', 'after']);
    },
  );
});
