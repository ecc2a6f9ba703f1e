// The bridge between raw WebSocket clients (here the independent `ws` client) and Bayeux clients on each
// transport (websocket, long-polling, callback-polling, short polling via @pushwire/client), both
// directions, through one engine: App + app.mount(bayeux) + a component using BayeuxBridge.

import { Client } from '@pushwire/client';
import { type BayeuxServer, createBayeuxServer } from '@pushwire/server';
import { afterEach, describe, expect, it } from 'vitest';
import { App, BayeuxBridge, type Component, type Connection } from '../src/index.js';
import { nextMessage, openWs, type WS } from './helpers.js';

let app: App | undefined;
let bayeux: BayeuxServer | undefined;
const clients: WS[] = [];
const bayeuxClients: Client[] = [];
afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  for (const c of bayeuxClients.splice(0)) await c.disconnect().catch(() => {});
  await app?.close();
  app = undefined;
  bayeux = undefined;
});

/** A raw-WebSocket chat room on the Bayeux channel /chat/room. */
class Room implements Component {
  readonly bridge: BayeuxBridge;
  readonly conns = new Set<Connection>();
  constructor(bridge: BayeuxBridge) {
    this.bridge = bridge;
  }
  async onOpen(conn: Connection): Promise<void> {
    this.conns.add(conn);
    await this.bridge.forward(conn, '/chat/room');
    conn.send('joined');
  }
  async onMessage(conn: Connection, message: string | Buffer): Promise<void> {
    await this.bridge.publish('/chat/room', { from: `raw-${conn.id}`, text: String(message) });
  }
  onClose(conn: Connection): Promise<void> {
    return this.bridge.stopForwarding(conn);
  }
}

/** Waits for a raw message whose data.from is `from` (the raw client also sees its own lines). */
async function lineFrom(
  ws: WS,
  from: string,
): Promise<{ channel: string; data: { from: string; text: string } }> {
  for (;;) {
    const m = JSON.parse(String(await nextMessage(ws))) as {
      channel: string;
      data: { from: string; text: string };
    };
    if (m.data.from === from) return m;
  }
}

describe('BayeuxBridge: one hub for raw WebSocket and Bayeux clients', () => {
  for (const transport of ['websocket', 'long-polling', 'callback-polling', 'short-polling'] as const) {
    it(`raw WebSocket <-> Bayeux ${transport}, both directions`, async () => {
      bayeux = createBayeuxServer();
      const bridge = new BayeuxBridge(bayeux);
      app = new App({ port: 0 });
      app.route('/room', new Room(bridge)).mount(bayeux);
      await app.run();
      const raw = await openWs(`ws://127.0.0.1:${app.port}/room`);
      clients.push(raw);
      expect(await nextMessage(raw)).toBe('joined');

      const client = new Client(`http://127.0.0.1:${app.port}/bayeux`, {
        transports: [transport],
        shortPollingInterval: 50,
      });
      bayeuxClients.push(client);
      const lines: { from: string; text: string }[] = [];
      let wake: () => void = () => {};
      await client.subscribe('/chat/*', (data) => {
        lines.push(data as { from: string; text: string });
        wake();
      });
      expect(client.transport).toBe(transport);

      // raw -> Bayeux
      raw.send('hello from raw');
      while (!lines.some((l) => l.text === 'hello from raw')) await new Promise<void>((r) => (wake = r));
      expect(lines.find((l) => l.text === 'hello from raw')?.from).toMatch(/^raw-\d+$/);

      // Bayeux -> raw
      await client.publish('/chat/room', { from: 'bayeux', text: `hi over ${transport}` });
      const line = await lineFrom(raw, 'bayeux');
      expect(line).toEqual({ channel: '/chat/room', data: { from: 'bayeux', text: `hi over ${transport}` } });
    });
  }

  it('forwards a message to many raw connections, formatted once and framed once; closed ones stop getting it', async () => {
    bayeux = createBayeuxServer();
    let formats = 0;
    const bridge = new BayeuxBridge(bayeux, {
      format: (data, channel) => {
        formats++;
        return `${channel} ${JSON.stringify(data)}`;
      },
    });
    app = new App({ port: 0 });
    const room = new Room(bridge);
    app.route('/room', room).mount(bayeux);
    await app.run();
    const a = await openWs(`ws://127.0.0.1:${app.port}/room`);
    const b = await openWs(`ws://127.0.0.1:${app.port}/room`);
    clients.push(a, b);
    expect(await nextMessage(a)).toBe('joined');
    expect(await nextMessage(b)).toBe('joined');
    const written: unknown[] = [];
    for (const conn of room.conns) {
      const socket = conn.socket;
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      socket.write = ((chunk: unknown, ...rest: unknown[]) => {
        written.push(chunk);
        return write(chunk, ...rest);
      }) as typeof socket.write;
    }
    await bayeux.publish('/chat/room', { n: 1 });
    expect(await nextMessage(a)).toBe('/chat/room {"n":1}');
    expect(await nextMessage(b)).toBe('/chat/room {"n":1}');
    expect(formats).toBe(1);
    // DESIGN.md "Shared bytes on the wire": one frame Buffer, the same object written to both sockets.
    expect(written).toHaveLength(2);
    expect(written[1]).toBe(written[0]);
    const id = await bridge.session.ready();
    expect(await bayeux.engine.subscriptions(id)).toEqual(['/chat/room']);
    a.close();
    b.close();
    await new Promise<void>((r) => b.once('close', () => r()));
    while ((await bayeux.engine.subscriptions(id)).length > 0) await new Promise((r) => setImmediate(r));
    expect(await bayeux.engine.subscriptions(id)).toEqual([]);
  });
});
