// Interop with the real CometD 9 JavaScript client (npm `cometd`) run in Node through
// `cometd-nodejs-client` (its adapt() installs XMLHttpRequest and WebSocket), unchanged, default
// configuration, over websocket and long-polling: against our server, and against Faye's server where
// that makes sense (plain pub/sub) to prove the test itself is right.

import { AckExtension, CometD, type Message } from 'cometd';
import { adapt } from 'cometd-nodejs-client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LossyProxy, startLossyProxy } from './support/lossy-proxy.js';
import { MOUNT, type RunningServer, selectedServers, startServer } from './support/servers.js';

const TRANSPORTS = ['websocket', 'long-polling'] as const;

beforeAll(() => {
  adapt();
});

/** Resolves with a CometD callback's message, or rejects after `ms`. */
function callback(ms = 5000): { cb: (m: Message) => void; done: Promise<Message> } {
  let cb: (m: Message) => void = () => {};
  const done = new Promise<Message>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no CometD callback within ${ms} ms`)), ms);
    cb = (m) => {
      clearTimeout(timer);
      resolve(m);
    };
  });
  return { cb, done };
}

/** Collects deliveries; `until(n)` resolves once n have arrived. */
function collector(): {
  onMessage: (m: Message) => void;
  got: Message[];
  until: (n: number, ms?: number) => Promise<void>;
} {
  const got: Message[] = [];
  const waiters: Array<() => void> = [];
  return {
    got,
    onMessage: (m) => {
      got.push(m);
      for (const w of waiters.splice(0)) w();
    },
    until: async (n, ms = 5000) => {
      const deadline = Date.now() + ms;
      while (got.length < n) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`only ${got.length} of ${n} deliveries within ${ms} ms: ${JSON.stringify(got)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

for (const kind of selectedServers()) {
  for (const transport of TRANSPORTS) {
    describe(`cometd client [${kind} server, ${transport}]`, () => {
      const clients: CometD[] = [];
      let server: RunningServer | undefined;
      const proxies: LossyProxy[] = [];

      afterEach(async () => {
        for (const c of clients.splice(0)) {
          if (c.isDisconnected()) continue;
          const { cb, done } = callback(2000);
          c.disconnect(cb);
          await done.catch(() => undefined);
        }
        for (const p of proxies.splice(0)) await p.close();
        await server?.close();
        server = undefined;
      });

      function client(s: RunningServer, url = s.url): CometD {
        const c = new CometD();
        // Node has no document, so every URL counts as cross-domain to CometD; nothing else configured.
        c.configure({ url, logLevel: 'warn' });
        if (transport === 'long-polling') c.unregisterTransport('websocket');
        clients.push(c);
        return c;
      }

      async function handshake(c: CometD): Promise<Message> {
        const { cb, done } = callback();
        c.handshake(cb);
        const reply = await done;
        expect(reply.successful, JSON.stringify(reply)).toBe(true);
        // CometD falls back to long-polling when WebSocket fails: check what it really uses.
        expect(c.getTransport()?.type).toBe(transport);
        return reply;
      }

      async function subscribe(c: CometD, channel: string, onMessage: (m: Message) => void): Promise<void> {
        const { cb, done } = callback();
        c.subscribe(channel, onMessage, cb);
        const reply = await done;
        expect(reply.successful, JSON.stringify(reply)).toBe(true);
      }

      it('handshakes, subscribes, publishes and receives its own publish', async () => {
        server = await startServer(kind);
        const c = client(server);
        await handshake(c);
        const inbox = collector();
        await subscribe(c, '/cometd/chat', inbox.onMessage);
        const { cb, done } = callback();
        c.publish('/cometd/chat', { text: 'hi' }, cb);
        expect((await done).successful).toBe(true);
        await inbox.until(1);
        expect(inbox.got[0]).toMatchObject({ channel: '/cometd/chat', data: { text: 'hi' } });
      });

      it('receives a publish made by server code, and a wildcard match', async () => {
        server = await startServer(kind);
        const c = client(server);
        await handshake(c);
        const exact = collector();
        const wild = collector();
        await subscribe(c, '/feed/one', exact.onMessage);
        await subscribe(c, '/feed/*', wild.onMessage);
        await server.publish('/feed/one', 1);
        await server.publish('/feed/two', 2);
        await exact.until(1);
        await wild.until(2);
        expect(exact.got.map((m) => m.data)).toEqual([1]);
        expect(wild.got.map((m) => [m.channel, m.data])).toEqual([
          ['/feed/one', 1],
          ['/feed/two', 2],
        ]);
      });

      it('re-handshakes when a restarted server no longer knows it, and re-subscribes from its listener', async () => {
        server = await startServer(kind);
        const c = client(server);
        const handshakes = collector();
        const inbox = collector();
        // The documented CometD pattern: subscriptions are dropped on re-handshake, so the app
        // subscribes in its /meta/handshake listener.
        c.addListener('/meta/handshake', (m) => {
          if (!m.successful) return;
          handshakes.onMessage(m);
          c.subscribe('/restart', inbox.onMessage);
        });
        const subscribed = server.nextEvent('subscribe');
        await handshake(c);
        await handshakes.until(1);
        await subscribed;
        await server.publish('/restart', 1);
        await inbox.until(1);
        const port = server.port;
        await server.close();
        server = await startServer(kind, { port });
        const again = server.nextEvent('subscribe');
        await handshakes.until(2, 10_000);
        await again;
        await server.publish('/restart', 2);
        await inbox.until(2);
        expect(inbox.got.map((m) => m.data)).toEqual([1, 2]);
        expect(c.getTransport()?.type).toBe(transport);
      });

      it.skipIf(kind === 'faye')("answers remoteCall('echo', ...) from /service/echo", async () => {
        server = await startServer(kind);
        const c = client(server);
        await handshake(c);
        const { cb, done } = callback();
        c.remoteCall('echo', { question: 42 }, 3000, cb);
        const answer = await done;
        expect(answer.successful, JSON.stringify(answer)).not.toBe(false);
        expect(answer.data).toEqual({ question: 42 });
      });

      it.skipIf(kind === 'faye')(
        'AckExtension: a reply lost in flight is delivered again, in order',
        async () => {
          server = await startServer(kind, { ack: true });
          const proxy = await startLossyProxy(server.port);
          proxies.push(proxy);
          const c = client(server, proxy.url(MOUNT));
          c.registerExtension('ack', new AckExtension());
          const shake = await handshake(c);
          // The server must agree to acknowledgements in the handshake reply (CometD ack wire format).
          const ack = (shake.ext as { ack?: unknown } | undefined)?.ack;
          expect(
            ack === true || (typeof ack === 'object' && (ack as { enabled?: unknown }).enabled === true),
          ).toBe(true);
          const inbox = collector();
          await subscribe(c, '/acked', inbox.onMessage);
          for (let n = 1; n <= 5; n++) await server.publish('/acked', `m${n}`);
          await inbox.until(5);
          // The response (connect reply or WebSocket frame) carrying m6 never reaches the client, and its
          // connection dies; the client reconnects and acknowledges only what it got.
          proxy.arm('"m6"');
          for (let n = 6; n <= 10; n++) await server.publish('/acked', `m${n}`);
          await proxy.lost();
          await inbox.until(10, 8000);
          expect(inbox.got.map((m) => m.data)).toEqual([
            'm1',
            'm2',
            'm3',
            'm4',
            'm5',
            'm6',
            'm7',
            'm8',
            'm9',
            'm10',
          ]);
        },
      );
    });
  }
}
