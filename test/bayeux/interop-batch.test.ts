// Large batches from the real clients (issue 7): CometD's `batch()` sends every publish made inside it in ONE
// request (one HTTP body on long-polling, one WebSocket message), hundreds or thousands of messages. A server
// that caps the message count of a request (ours did at 100: HTTP 400 / close 1009) loses the whole batch;
// CometD's and Faye's servers bound the bytes only. Here batches of 300 and 2,000 publishes must reach a
// subscriber complete and in order, on websocket and long-polling, against our server and against Faye's
// (which proves the test itself). Faye's client batches on its own (its outbox is flushed once per tick).

import { CometD, type Message } from 'cometd';
import { adapt } from 'cometd-nodejs-client';
import faye from 'faye';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, selectedServers, startServer } from './support/servers.js';

const TRANSPORTS = ['websocket', 'long-polling'] as const;
const SIZES = [300, 2000] as const;

// A long-polling subscriber gets a batch's publishes in its next connect reply, so its queue must hold a whole
// batch (maxQueue, default 1000, drop-oldest). Several CometD clients in one Node process share a cookie jar:
// to the server they are tabs of one browser (maxSessionsPerBrowser); that is documented, not tested here.
const SERVER_OPTIONS = { timeout: 2000, bayeux: { maxQueue: 5000, maxSessionsPerBrowser: -1 } };

beforeAll(() => {
  adapt();
});

/** Resolves once `n` values were collected, or rejects after `ms` naming how many came. */
function collector<T>(): {
  push: (v: T) => void;
  got: T[];
  until: (n: number, ms?: number) => Promise<void>;
} {
  const got: T[] = [];
  let wake: (() => void) | undefined;
  return {
    got,
    push: (v) => {
      got.push(v);
      wake?.();
    },
    until: (n, ms = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} within ${ms} ms`)), ms);
        const check = (): void => {
          if (got.length < n) return;
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
        wake = check;
        check();
      }),
  };
}

function reply(start: (cb: (m: Message) => void) => void, what: string): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to ${what}`)), 5000);
    start((m) => {
      clearTimeout(timer);
      resolve(m);
    });
  });
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

for (const kind of selectedServers()) {
  for (const transport of TRANSPORTS) {
    describe(`batches [${kind} server, ${transport}]`, () => {
      let server: RunningServer | undefined;
      const cometds: CometD[] = [];
      const fayes: faye.Client[] = [];

      afterEach(async () => {
        for (const c of cometds.splice(0)) {
          if (!c.isDisconnected()) await reply((cb) => c.disconnect(cb), 'disconnect').catch(() => undefined);
        }
        for (const c of fayes.splice(0)) c.disconnect();
        await server?.close();
        server = undefined;
      });

      async function cometd(s: RunningServer): Promise<CometD> {
        const c = new CometD();
        c.configure({ url: s.url, logLevel: 'warn' });
        if (transport === 'long-polling') c.unregisterTransport('websocket');
        cometds.push(c);
        const shake = await reply((cb) => c.handshake(cb), 'handshake');
        expect(shake.successful, JSON.stringify(shake)).toBe(true);
        expect(c.getTransport()?.type).toBe(transport);
        return c;
      }

      for (const n of SIZES) {
        it(`CometD batch() of ${n} publishes: every publish acknowledged, all delivered in order`, async () => {
          server = await startServer(kind, SERVER_OPTIONS);
          const subscriber = await cometd(server);
          const inbox = collector<unknown>();
          const sub = await reply(
            (cb) => subscriber.subscribe('/batch/feed', (m) => inbox.push(m.data), cb),
            'subscribe',
          );
          expect(sub.successful).toBe(true);
          const publisher = await cometd(server);
          const acks = collector<Message>();
          publisher.batch(() => {
            for (const i of range(n)) publisher.publish('/batch/feed', { i }, (m) => acks.push(m));
          });
          await acks.until(n);
          expect(acks.got.filter((m) => m.successful !== true)).toEqual([]);
          await inbox.until(n);
          expect(inbox.got).toEqual(range(n).map((i) => ({ i })));
        });
      }

      it.skipIf(kind === 'faye')(
        'CometD batch() one past maxMessagesPerRequest: the last publish alone fails, the client stays connected',
        async () => {
          server = await startServer(kind, {
            ...SERVER_OPTIONS,
            bayeux: { ...SERVER_OPTIONS.bayeux, maxMessagesPerRequest: 300 },
          });
          const subscriber = await cometd(server);
          const inbox = collector<unknown>();
          await reply(
            (cb) => subscriber.subscribe('/batch/feed', (m) => inbox.push(m.data), cb),
            'subscribe',
          );
          const publisher = await cometd(server);
          const acks = collector<Message>();
          publisher.batch(() => {
            for (const i of range(301)) publisher.publish('/batch/feed', { i }, (m) => acks.push(m));
          });
          await acks.until(301);
          const failed = acks.got.filter((m) => m.successful !== true);
          expect(failed).toHaveLength(1);
          expect(failed[0]).toMatchObject({
            channel: '/batch/feed',
            successful: false,
            error: '400:300:too_many_messages',
          });
          await inbox.until(300);
          expect(inbox.got).toEqual(range(300).map((i) => ({ i })));
          // The transport did not fail: the next publish goes through on the same connection type.
          const after = await reply((cb) => publisher.publish('/batch/feed', { i: 'after' }, cb), 'publish');
          expect(after.successful).toBe(true);
          await inbox.until(301);
          expect(inbox.got.at(-1)).toEqual({ i: 'after' });
          expect(publisher.getTransport()?.type).toBe(transport);
          expect(publisher.isDisconnected()).toBe(false);
        },
      );

      it(`Faye client: 2000 publishes made in one tick are all delivered in order`, async () => {
        server = await startServer(kind, SERVER_OPTIONS);
        const make = (): faye.Client => {
          const c = new faye.Client(server!.url, { timeout: 5, retry: 0.2 });
          if (transport === 'long-polling') c.disable('websocket');
          fayes.push(c);
          return c;
        };
        const subscriber = make();
        const inbox = collector<unknown>();
        await subscriber.subscribe('/batch/faye', (data: unknown) => inbox.push(data));
        const publisher = make();
        // Connected first: Faye's client sends the publishes made while it handshakes in an order of its own
        // (the first one last), on Faye's server as on ours.
        await publisher.publish('/batch/warm-up', {});
        const acks = range(2000).map((i) => publisher.publish('/batch/faye', { i }));
        await Promise.all(acks);
        await inbox.until(2000);
        expect(inbox.got).toEqual(range(2000).map((i) => ({ i })));
      });
    });
  }
}
