// The real CometD 9 (npm `cometd` + `cometd-nodejs-client`) and Faye 1.4.3 clients, unchanged, against our
// server with history and presence ON for the channels they use (issue 9): they ignore `ext.history` and
// `ext.recover`, so pub/sub, wildcards and presence events work as before; CometD's reply ext is left as is.

import { CometD, type Message as CometDMessage } from 'cometd';
import { adapt } from 'cometd-nodejs-client';
import faye from 'faye';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './support/servers.js';

const TRANSPORTS = ['websocket', 'long-polling'] as const;
const CHANNELS = { '/chat/**': { history: { size: 100, ttl: 3_600_000 }, presence: true } };

beforeAll(() => {
  adapt();
});

/** Pushes and awaits values (rejects after ms). */
function inbox<T>() {
  const all: T[] = [];
  const waiters: Array<() => void> = [];
  return {
    all,
    push: (v: T) => {
      all.push(v);
      for (const w of waiters.splice(0)) w();
    },
    until: async (n: number, ms = 5000): Promise<T[]> => {
      const deadline = Date.now() + ms;
      while (all.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`only ${all.length} of ${n} within ${ms} ms: ${JSON.stringify(all)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return all;
    },
  };
}

for (const transport of TRANSPORTS) {
  describe(`real clients with history on [ours, ${transport}]`, () => {
    let server: RunningServer | undefined;
    const cleanups: Array<() => Promise<void> | void> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c();
      await server?.close();
      server = undefined;
    });

    it('faye: publishes round-trip on a channel with history, in order, data unchanged', async () => {
      server = await startServer('ours', { bayeux: { channels: CHANNELS } });
      const a = new faye.Client(server.url, { timeout: 5, retry: 0.2 });
      const b = new faye.Client(server.url, { timeout: 5, retry: 0.2 });
      if (transport === 'long-polling') {
        a.disable('websocket');
        b.disable('websocket');
      }
      cleanups.push(
        () => {
          a.disconnect();
        },
        () => {
          b.disconnect();
        },
      );
      const got = inbox<unknown>();
      const presence = inbox<unknown>();
      await a.subscribe('/presence/chat/room', (data) => presence.push(data));
      await a.subscribe('/chat/room', (data) => got.push(data));
      for (let i = 1; i <= 5; i++) await b.publish('/chat/room', { n: i });
      expect(await got.until(5)).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
      // Faye's own subscription to /chat/room was a join (its id is public, never the clientId).
      expect((await presence.until(1))[0]).toMatchObject({ action: 'join', channel: '/chat/room', count: 1 });
      const history = await server.bayeux?.history('/chat/room');
      expect(history?.messages.map((m) => m.data)).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
      expect(history?.messages.map((m) => (m.ext as { history: { offset: number } }).history.offset)).toEqual(
        [1, 2, 3, 4, 5],
      );
    });

    it('cometd: subscribe, publish, wildcard and remote call work; deliveries carry ext.history', async () => {
      server = await startServer('ours', { bayeux: { channels: CHANNELS } });
      const c = new CometD();
      c.configure({ url: server.url, logLevel: 'warn' });
      if (transport === 'long-polling') c.unregisterTransport('websocket');
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            if (c.isDisconnected()) resolve();
            else c.disconnect(() => resolve());
          }),
      );
      const hs = await new Promise<CometDMessage>((resolve) => c.handshake(resolve));
      expect(hs.successful).toBe(true);
      expect(c.getTransport()?.type).toBe(transport);
      const exact = inbox<CometDMessage>();
      const wild = inbox<CometDMessage>();
      const subscribed = await new Promise<CometDMessage>((resolve) =>
        c.subscribe('/chat/cometd', (m) => exact.push(m), resolve),
      );
      expect(subscribed.successful).toBe(true);
      await new Promise<CometDMessage>((resolve) => c.subscribe('/chat/**', (m) => wild.push(m), resolve));
      for (let i = 1; i <= 3; i++) {
        const ack = await new Promise<CometDMessage>((resolve) => c.publish('/chat/cometd', { i }, resolve));
        expect(ack.successful).toBe(true);
      }
      const got = await exact.until(3);
      expect(got.map((m) => m.data)).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
      expect(got.map((m) => (m.ext as { history: { offset: number } }).history.offset)).toEqual([1, 2, 3]);
      // CometD de-duplicates nothing itself: the server sends one copy per client, both listeners see it.
      expect((await wild.until(3)).map((m) => m.data)).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
      const answer = await new Promise<CometDMessage>((resolve) =>
        c.remoteCall('presence', { channel: '/chat/cometd' }, 5000, resolve),
      );
      expect(answer.successful).toBe(true);
      expect(answer.data).toMatchObject({ channel: '/chat/cometd', count: 1 });
    });
  });
}
