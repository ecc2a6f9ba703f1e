// Interop with the real npm `faye` 1.4.3 client, unchanged, over websocket and long-polling: against
// our server, and against Faye's own server to prove the test itself is right.

import faye from 'faye';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, selectedServers, startServer } from './support/servers.js';

const TRANSPORTS = ['websocket', 'long-polling'] as const;

/** Resolves with the next value pushed through `push`, or rejects after `ms`. */
function inbox<T>(): { push: (v: T) => void; next: (ms?: number) => Promise<T>; all: T[] } {
  const all: T[] = [];
  let waiting: ((v: T) => void) | undefined;
  let taken = 0;
  return {
    all,
    push: (v) => {
      all.push(v);
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        taken++;
        w(v);
      }
    },
    next: (ms = 5000) =>
      new Promise<T>((resolve, reject) => {
        if (all.length > taken) {
          resolve(all[taken++] as T);
          return;
        }
        const timer = setTimeout(() => reject(new Error(`nothing received within ${ms} ms`)), ms);
        waiting = (v) => {
          clearTimeout(timer);
          resolve(v);
        };
      }),
  };
}

for (const kind of selectedServers()) {
  for (const transport of TRANSPORTS) {
    describe(`faye client [${kind} server, ${transport}]`, () => {
      const clients: faye.Client[] = [];
      const servers: RunningServer[] = [];

      async function server(port?: number): Promise<RunningServer> {
        const s = await startServer(kind, { timeout: 2000, ...(port ? { port } : {}) });
        servers.push(s);
        return s;
      }

      /** connectionType of every /meta/connect each client sent, seen through a Faye extension. */
      const connectionTypes = new Map<faye.Client, ReturnType<typeof inbox<string>>>();

      function client(s: RunningServer): faye.Client {
        // retry: seconds before a failed request is retried (keeps the reconnect test short).
        const c = new faye.Client(s.url, { timeout: 5, retry: 0.2 });
        if (transport === 'long-polling') c.disable('websocket');
        const types = inbox<string>();
        connectionTypes.set(c, types);
        c.addExtension({
          outgoing: (message, callback) => {
            if (message.channel === '/meta/connect') types.push(String(message.connectionType));
            callback(message);
          },
        });
        clients.push(c);
        return c;
      }

      /**
       * Faye starts on long-polling, tests WebSocket in the background, switches when it works, and
       * silently stays on long-polling when it does not: wait until a connect goes out on `transport`.
       */
      async function expectTransport(c: faye.Client): Promise<void> {
        const types = connectionTypes.get(c);
        if (!types) throw new Error('unknown client');
        for (;;) {
          const type = await types.next(5000).catch(() => `none within 5 s; sent: ${types.all.join(', ')}`);
          if (transport === 'long-polling') expect(type).toBe('long-polling');
          if (type === transport) return;
          if (!type.startsWith('long-polling')) expect(type).toBe(transport);
        }
      }

      afterEach(async () => {
        for (const c of clients.splice(0)) c.disconnect();
        for (const s of servers.splice(0)) await s.close();
      });

      it('round-trips a publish between two clients', async () => {
        const s = await server();
        const a = client(s);
        const b = client(s);
        const got = inbox<unknown>();
        await a.subscribe('/chat/room', (data) => got.push(data));
        b.connect();
        // Both on the transport under test before anything is published.
        await expectTransport(a);
        await expectTransport(b);
        await b.publish('/chat/room', { text: 'hello', n: 1 });
        expect(await got.next()).toEqual({ text: 'hello', n: 1 });
        await b.publish('/chat/room', { text: 'again', n: 2 });
        expect(await got.next()).toEqual({ text: 'again', n: 2 });
        if (transport === 'websocket') expect(s.upgrades()).toBeGreaterThan(0);
        else expect(s.upgrades()).toBe(0);
      });

      it('receives wildcard deliveries with the concrete channel', async () => {
        const s = await server();
        const a = client(s);
        const b = client(s);
        const got = inbox<[string, unknown]>();
        await a.subscribe('/wild/**', () => {}).withChannel((channel, data) => got.push([channel, data]));
        await b.publish('/wild/x/y', 'deep');
        await b.publish('/wild/z', 'shallow');
        expect(await got.next()).toEqual(['/wild/x/y', 'deep']);
        expect(await got.next()).toEqual(['/wild/z', 'shallow']);
        await expectTransport(a);
      });

      it('receives a publish made by server code', async () => {
        const s = await server();
        const a = client(s);
        const got = inbox<unknown>();
        await a.subscribe('/news', (data) => got.push(data));
        await s.publish('/news', { headline: 'x' });
        expect(await got.next()).toEqual({ headline: 'x' });
        await expectTransport(a);
      });

      it('re-handshakes and re-subscribes when the server no longer knows it', async () => {
        const first = await server();
        const a = client(first);
        const got = inbox<unknown>();
        await a.subscribe('/again', (data) => got.push(data));
        await first.publish('/again', 1);
        expect(await got.next()).toBe(1);
        // A new server on the same address knows no client: it answers with unknown-client + handshake
        // advice, and the Faye client must handshake again and restore its subscription.
        const port = first.port;
        await first.close();
        servers.splice(servers.indexOf(first), 1);
        const second = await server(port);
        const resubscribed = second.nextEvent('subscribe');
        await resubscribed;
        await second.publish('/again', 2);
        expect(await got.next()).toBe(2);
        await expectTransport(a);
      });
    });
  }
}
