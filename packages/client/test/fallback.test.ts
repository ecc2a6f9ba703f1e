// Transport negotiation and fallback: websocket that cannot open, websocket accepted then cut before any
// connect succeeded (the broken-proxy case), and websocket retried after a failure only if it once worked.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import NodeWs, { WebSocketServer } from 'ws';
import { Client } from '../src/index.js';
import { type FayeServer, startFaye } from './faye-server.js';
import { collector, type OurServer, startOurs } from './helpers.js';

const FAST = { backoffIncrement: 20, maxBackoff: 100, backoffJitter: 0 };

/** Replaces a server's upgrade handling with a `ws` server that runs `onMessage` for each frame. */
function brokenProxy(
  server: { http: import('node:http').Server },
  onMessage: (socket: import('ws').WebSocket, messages: Message[]) => void,
): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true });
  server.http.removeAllListeners('upgrade');
  server.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data) => onMessage(ws, JSON.parse(String(data)) as Message[]));
    });
  });
  return wss;
}

describe('fallback', () => {
  let faye: FayeServer | undefined;
  let ours: OurServer | undefined;
  let client: Client | undefined;
  let wss: WebSocketServer | undefined;
  afterEach(async () => {
    await client?.disconnect();
    wss?.close();
    await faye?.close();
    await ours?.close();
    faye = ours = client = wss = undefined;
  });

  it("websocket refused by the server: Faye's server over long-polling", async () => {
    faye = await startFaye({ websocket: false });
    client = new Client(faye.url, FAST);
    await client.connect();
    expect(client.transport).toBe('long-polling');
    const inbox = collector<[unknown]>();
    await client.subscribe('/x', inbox.handler);
    await faye.publish('/x', 'via long-polling');
    expect((await inbox.next())[0]).toBe('via long-polling');
  });

  it('websocket not offered by our server: long-polling is negotiated from supportedConnectionTypes', async () => {
    ours = await startOurs({ transports: ['long-polling', 'callback-polling'] });
    client = new Client(ours.url, FAST);
    await client.connect();
    expect(client.transport).toBe('long-polling');
  });

  it('websocket accepted, then cut on the first message: falls back to long-polling', async () => {
    faye = await startFaye();
    let cut = 0;
    wss = brokenProxy(faye, (ws) => {
      cut++;
      ws.terminate();
    });
    client = new Client(faye.url, FAST);
    await client.connect();
    expect(cut).toBe(1);
    expect(client.transport).toBe('long-polling');
    expect(client.state).toBe('connected');
  });

  it('websocket handshake answered, then cut before the first connect succeeds: falls back and re-handshakes', async () => {
    ours = await startOurs();
    const seen: string[] = [];
    wss = brokenProxy(ours, (ws, messages) => {
      const m = messages[0]!;
      seen.push(m.channel);
      if (m.channel === '/meta/handshake') {
        const reply = {
          channel: m.channel,
          id: m.id,
          successful: true,
          clientId: 'proxy1',
          version: '1.0',
          supportedConnectionTypes: ['websocket', 'long-polling'],
        };
        ws.send(JSON.stringify([reply]));
      } else ws.terminate();
    });
    client = new Client(ours.url, FAST);
    const handshakes = collector<[Message, boolean]>();
    client.on('handshake', handshakes.handler);
    await client.connect();
    expect(seen).toEqual(['/meta/handshake', '/meta/connect']);
    expect(client.transport).toBe('long-polling');
    expect(client.clientId).not.toBe('proxy1');
    expect(handshakes.items).toHaveLength(2);
    await expect(client.remoteCall('/service/echo', 'ok')).resolves.toBe('ok');
  });

  it('websocket that once worked is retried after a failure (stickyReconnect)', async () => {
    ours = await startOurs({ timeout: 500 });
    client = new Client(ours.url, FAST);
    const inbox = collector<[unknown]>();
    await client.subscribe('/s', inbox.handler);
    expect(client.transport).toBe('websocket');
    const down = new Promise<void>((resolve) => client!.once('transport:down', () => resolve()));
    ours.cut();
    await down;
    await new Promise<void>((resolve) => client!.once('connected', () => resolve()));
    expect(client.transport).toBe('websocket');
    await ours.bayeux.publish('/s', 'back');
    expect((await inbox.next())[0]).toBe('back');
  });

  it('without stickyReconnect a websocket failure moves the client to long-polling', async () => {
    ours = await startOurs({ timeout: 500 });
    client = new Client(ours.url, { ...FAST, stickyReconnect: false });
    await client.connect();
    expect(client.transport).toBe('websocket');
    ours.cut();
    await new Promise<void>((resolve) => {
      const off = client!.on('connected', () => {
        if (client!.transport === 'long-polling') {
          off();
          resolve();
        }
      });
    });
    expect(client.transport).toBe('long-polling');
  });
});

describe('websocket as the only transport', () => {
  it('keeps retrying websocket with backoff when it fails and nothing else is allowed', async () => {
    const ours = await startOurs();
    let cuts = 0;
    const wss = brokenProxy(ours, (ws) => {
      cuts++;
      ws.terminate();
      // Third attempt onwards: let the real server take the upgrades again.
      if (cuts === 2) {
        ours.http.removeAllListeners('upgrade');
        ours.http.on('upgrade', (req, socket, head) => ours.bayeux.handleUpgrade(req, socket, head));
      }
    });
    const client = new Client(ours.url, { transports: ['websocket'], ...FAST, WebSocket: NodeWs as never });
    try {
      await client.connect();
      expect(cuts).toBe(2);
      expect(client.transport).toBe('websocket');
    } finally {
      await client.disconnect();
      wss.close();
      await ours.close();
    }
  });
});
