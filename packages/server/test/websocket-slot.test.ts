// The connection slot a WebSocket upgrade takes (maxConnections) goes back on the WebSocket's 'close'
// once the opening handshake is done, and on the TCP socket's 'close' before that: never twice, never
// kept, and without a second 'close' listener on the upgraded socket for its whole life.
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Harness, startServer, until } from './helpers/http.js';
import { WsPeer } from './helpers/ws-peer.js';

let h: Harness | undefined;
const peers: WsPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await h?.close();
  h = undefined;
});

describe('websocket: the admission slot', () => {
  it('goes back when the WebSocket closes, and a new one is admitted at maxConnections 1', async () => {
    h = await startServer({ maxConnections: 1 });
    const upgraded: Duplex[] = [];
    h.http.on('upgrade', (_req, socket: Duplex) => upgraded.push(socket));
    const a = new WsPeer(h.url);
    peers.push(a);
    await a.session();
    expect(h.bayeux.connections).toBe(1);
    // Only the websocket layer listens for the TCP socket's close once the WebSocket is open.
    expect(upgraded[0]?.listenerCount('close')).toBe(1);
    a.ws.close();
    await until(() => h!.bayeux.connections === 0, 'the slot to come back');
    const b = new WsPeer(h.url);
    peers.push(b);
    await b.session();
    expect(h.bayeux.connections).toBe(1);
    b.close();
    await until(() => h!.bayeux.connections === 0, 'the slot to come back');
  });

  it('goes back once when the opening handshake is refused', async () => {
    h = await startServer({ maxConnections: 1 });
    // Version 8 is not RFC 6455's 13: the websocket layer refuses the upgrade (RFC 6455 4.4).
    const bad = new WebSocket(h.url.replace(/^http/, 'ws'), { protocolVersion: 8 });
    const failed = new Promise<void>((resolve) => bad.on('error', () => resolve()));
    await failed;
    await until(() => h!.bayeux.connections === 0, 'the slot to come back');
    const ok = new WsPeer(h.url);
    peers.push(ok);
    await ok.session();
    expect(h.bayeux.connections).toBe(1);
  });
});
