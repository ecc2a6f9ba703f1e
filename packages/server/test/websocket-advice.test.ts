// Connect advice with the server's own interval is one frozen object shared by every held connect (a held
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
  it("an outgoing extension that edits one reply's advice changes no other client's", async () => {
    // The held connect shares one frozen advice object; a reply that an outgoing extension can edit gets
    // its own copy (hold.ts replyAdvice), so a mutating extension neither throws nor leaks to others.
    h = await startServer({ interval: 0 });
    const seen: unknown[] = [];
    let edits = 0;
    h.bayeux.addExtension({
      outgoing(message: Message) {
        if (message.channel !== '/meta/connect' || message.advice === undefined) return message;
        seen.push(message.advice);
        if (edits++ === 0) (message.advice as { interval: number }).interval = 999;
        return message;
      },
    });
    const a = new WsPeer(h.url);
    const b = new WsPeer(h.url);
    peers.push(a, b);
    await a.session();
    await b.session();
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(seen[1]);
    expect(Object.isFrozen(seen[1])).toBe(false);
    const first = a.received.find((m) => m.channel === '/meta/connect');
    const second = b.received.find((m) => m.channel === '/meta/connect');
    expect(first?.advice).toEqual({ reconnect: 'retry', interval: 999, timeout: h.bayeux.options.timeout });
    expect(second?.advice).toEqual({ reconnect: 'retry', interval: 0, timeout: h.bayeux.options.timeout });
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
