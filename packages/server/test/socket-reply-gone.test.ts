// A connect reply over a WebSocket whose socket closed while it was built (the take, the outgoing
// extensions, the engine ping): the messages it took from the queue could not be written and were lost
// (SocketSession.sendBatch dropped the frame). They must go back to the HEAD of the client's queue, in
// order, and ride the next connect, from whatever socket it comes. The window is forced: an outgoing
// extension closes the peer's socket and waits until the server has seen it close, between take and write.
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startServer, until } from './helpers/http.js';
import { WsPeer } from './helpers/ws-peer.js';

let h: Harness | undefined;
const peers: WsPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await h?.close();
  h = undefined;
});

function peer(h: Harness): WsPeer {
  const p = new WsPeer(h.url);
  peers.push(p);
  return p;
}

/** Closes `victim` when the connect reply `id` passes the outgoing pipeline, and waits for the server. */
function killConnectReply(h: Harness, id: string, victim: () => WsPeer): { fired: boolean; done: boolean } {
  const state = { fired: false, done: false };
  h.bayeux.addExtension({
    async outgoing(message: Message) {
      if (state.fired || message.channel !== '/meta/connect' || message.id !== id) return message;
      state.fired = true;
      const before = h.bayeux.connections;
      victim().close();
      await until(() => h.bayeux.connections < before, 'the server to see the socket close');
      state.done = true;
      return message;
    },
  });
  return state;
}

const chat = (p: WsPeer): unknown[] => p.received.filter((m) => m.channel === '/chat').map((m) => m.data);

/** A subscribed client whose socket then closed: what is published now waits in its queue. */
async function awayClient(h: Harness): Promise<string> {
  const first = peer(h);
  const clientId = await first.session();
  await first.subscribe(clientId, '/chat');
  const before = h.bayeux.connections;
  first.close();
  await until(() => h.bayeux.connections < before, 'the first socket to close');
  return clientId;
}

describe('websocket: a connect reply whose socket is gone gives its messages back', () => {
  it('a held connect whose catch-up took the queue: the messages ride the next connect, in order', async () => {
    h = await startServer({ timeout: 3000 });
    const clientId = await awayClient(h);
    await h.bayeux.publish('/chat', { n: 1 });
    await h.bayeux.publish('/chat', { n: 2 });
    const second = peer(h);
    const kill = killConnectReply(h, 'c1', () => second);
    await second.opened();
    second.send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: 'c1' }]);
    await until(() => kill.done, 'the reply to be killed');
    await h.bayeux.publish('/chat', { n: 3 });
    const third = peer(h);
    await third.opened();
    third.send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: 'c2' }]);
    await third.next('the next connect reply', (m) => m.channel === '/meta/connect' && m.id === 'c2');
    await until(() => chat(third).length >= 3, 'three messages');
    expect(chat(third)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(chat(second)).toEqual([]);
  });

  it('a connect answered at once with other messages in its frame: requeued ahead of newer ones', async () => {
    h = await startServer({ timeout: 3000 });
    const clientId = await awayClient(h);
    await h.bayeux.publish('/chat', { n: 1 });
    const second = peer(h);
    const kill = killConnectReply(h, 'c1', () => second);
    await second.opened();
    // Not alone in its frame: answered at once, after the subscribe, carrying the queue.
    second.send([
      { channel: '/meta/subscribe', clientId, subscription: '/other', id: 's2' },
      { channel: '/meta/connect', clientId, connectionType: 'websocket', id: 'c1' },
    ]);
    await until(() => kill.done, 'the reply to be killed');
    await h.bayeux.publish('/chat', { n: 2 });
    const third = peer(h);
    await third.opened();
    third.send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: 'c2' }]);
    await until(() => chat(third).length >= 2, 'two messages');
    expect(chat(third)).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
