// Connect advice with the server's own interval is one frozen object for every connect reply (a held
// connect keeps its advice all the time over a WebSocket: one per client was heap per idle client).
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startServer } from './helpers/http.js';
import { WsPeer } from './helpers/ws-peer.js';

let h: Harness | undefined;
const peers: WsPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await h?.close();
  h = undefined;
});

describe('websocket: shared connect advice', () => {
  it('two clients get the same frozen advice object, with the usual values on the wire', async () => {
    h = await startServer({ interval: 0 });
    const seen: unknown[] = [];
    h.bayeux.addExtension({
      outgoing(message: Message) {
        if (message.channel === '/meta/connect') seen.push(message.advice);
        return message;
      },
    });
    const a = new WsPeer(h.url);
    const b = new WsPeer(h.url);
    peers.push(a, b);
    await a.session();
    await b.session();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(seen[1]);
    expect(Object.isFrozen(seen[0])).toBe(true);
    const reply = a.received.find((m) => m.channel === '/meta/connect');
    expect(reply?.advice).toEqual({ reconnect: 'retry', interval: 0, timeout: h.bayeux.options.timeout });
  });

  it("a client's own interval gets its own advice", async () => {
    h = await startServer({ interval: 0 });
    const peer = new WsPeer(h.url);
    peers.push(peer);
    await peer.opened();
    peer.send([
      { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], id: 'h' },
    ]);
    const hs = await peer.next('handshake', (m) => m.channel === '/meta/handshake');
    peer.send([
      {
        channel: '/meta/connect',
        clientId: hs.clientId,
        connectionType: 'websocket',
        id: 'c',
        advice: { interval: 7 },
      },
    ]);
    const reply = await peer.next('connect', (m) => m.channel === '/meta/connect');
    expect(reply.advice).toMatchObject({ reconnect: 'retry', interval: 7 });
  });
});
