// Real peers on the hub: the npm `faye` client and the CometD 9 client (cometd + cometd-nodejs-client),
// unchanged, on a Bayeux server mounted in an App, talking with a raw WebSocket component through
// BayeuxBridge, both directions, over websocket and long-polling.

import { type BayeuxServer, createBayeuxServer } from '@pushwire/server';
import { CometD, type Message as CometDMessage } from 'cometd';
import { adapt } from 'cometd-nodejs-client';
import faye from 'faye';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App, BayeuxBridge, type Connection } from '../src/index.js';
import { nextMessage, openWs, type WS } from './helpers.js';

beforeAll(() => {
  adapt();
});

let app: App | undefined;
let bayeux: BayeuxServer | undefined;
const raws: WS[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const ws of raws.splice(0)) ws.terminate();
  for (const c of cleanups.splice(0)) await c();
  await app?.close();
  app = undefined;
  bayeux = undefined;
});

/** Raw side: every text message goes to /peers/room; the room comes back as JSON. */
async function hub(): Promise<{ url: string; raw: WS }> {
  bayeux = createBayeuxServer();
  const bridge = new BayeuxBridge(bayeux);
  app = new App({ port: 0 });
  app
    .route('/raw', {
      onOpen: async (conn: Connection) => {
        await bridge.forward(conn, '/peers/*');
        conn.send('ready');
      },
      onMessage: async (_conn: Connection, m: string | Buffer) => {
        await bridge.publish('/peers/room', { from: 'raw', text: String(m) });
      },
      onClose: (conn: Connection) => bridge.stopForwarding(conn),
    })
    .mount(bayeux);
  await app.run();
  const raw = await openWs(`ws://127.0.0.1:${app.port}/raw`);
  raws.push(raw);
  expect(await nextMessage(raw)).toBe('ready');
  return { url: `http://127.0.0.1:${app.port}/bayeux`, raw };
}

async function rawLineFrom(raw: WS, from: string): Promise<unknown> {
  for (;;) {
    const m = JSON.parse(String(await nextMessage(raw))) as { data: { from: string } };
    if (m.data.from === from) return m;
  }
}

for (const transport of ['websocket', 'long-polling'] as const) {
  describe(`peers over ${transport}`, () => {
    it('Faye client <-> raw WebSocket component', async () => {
      const { url, raw } = await hub();
      const client = new faye.Client(url, { timeout: 5, retry: 0.2 });
      if (transport === 'long-polling') client.disable('websocket');
      cleanups.push(() => client.disconnect());
      const got: unknown[] = [];
      let wake: () => void = () => {};
      await client.subscribe('/peers/room', (data: unknown) => {
        got.push(data);
        wake();
      });
      raw.send('hello faye');
      while (!got.some((d) => (d as { text?: string }).text === 'hello faye'))
        await new Promise<void>((r) => (wake = r));
      await client.publish('/peers/room', { from: 'faye', text: 'hello raw' });
      expect(await rawLineFrom(raw, 'faye')).toEqual({
        channel: '/peers/room',
        data: { from: 'faye', text: 'hello raw' },
      });
    });

    it('CometD client <-> raw WebSocket component', async () => {
      const { url, raw } = await hub();
      const c = new CometD();
      c.configure({ url, logLevel: 'warn' });
      if (transport === 'long-polling') c.unregisterTransport('websocket');
      cleanups.push(() => new Promise<void>((r) => c.disconnect(() => r())));
      await new Promise<void>((resolve, reject) =>
        c.handshake((reply: CometDMessage) =>
          reply.successful ? resolve() : reject(new Error(JSON.stringify(reply))),
        ),
      );
      expect(c.getTransport()?.type).toBe(transport);
      const got: unknown[] = [];
      let wake: () => void = () => {};
      await new Promise<void>((resolve) =>
        c.subscribe(
          '/peers/room',
          (m: CometDMessage) => {
            got.push(m.data);
            wake();
          },
          () => resolve(),
        ),
      );
      raw.send('hello cometd');
      while (!got.some((d) => (d as { text?: string }).text === 'hello cometd'))
        await new Promise<void>((r) => (wake = r));
      c.publish('/peers/room', { from: 'cometd', text: 'hello raw' });
      expect(await rawLineFrom(raw, 'cometd')).toEqual({
        channel: '/peers/room',
        data: { from: 'cometd', text: 'hello raw' },
      });
    });
  });
}
