// A long-polling reply built while its response was closing (issue 13 side item): the messages the
// connect reply took from the queue could no longer be written and were lost. They must go back to the
// HEAD of the client's queue (Engine.requeue), in order, and ride the next connect. The window is forced
// deterministically: an outgoing extension destroys the request's socket while the /meta/connect reply
// (its messages already taken) passes through the pipeline, i.e. between the take and the write.
import { type IncomingMessage, request } from 'node:http';
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { ackExtension } from '../src/index.js';
import {
  connect,
  connectedClient,
  HANDSHAKE,
  type Harness,
  post,
  startServer,
  until,
} from './helpers/http.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** POSTs a batch over its own connection; resolves when the response ends or the socket goes. */
function rawPost(url: string, body: unknown): Promise<string | Error> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
      res.on('error', (err) => resolve(err));
    });
    req.on('error', (err) => resolve(err));
    req.end(JSON.stringify(body));
  });
}

/** Destroys the socket of the next /meta/connect reply of `clientId` that passes the outgoing pipeline. */
function killNextConnectReply(h: Harness, clientId: string): { fired: boolean } {
  const state = { fired: false };
  h.bayeux.addExtension({
    async outgoing(message: Message, ctx) {
      if (state.fired || message.channel !== '/meta/connect' || message.clientId !== clientId) return message;
      state.fired = true;
      // Over HTTP the context's request is the IncomingMessage itself (RequestContext.req).
      (ctx.req as IncomingMessage | undefined)?.socket.destroy();
      // Let the close propagate (res 'close', the CloseSignal) before the reply goes on to be written.
      await new Promise((r) => setImmediate(r));
      return message;
    },
  });
  return state;
}

async function subscribed(h: Harness): Promise<string> {
  const clientId = await connectedClient(h.url);
  const { messages } = await post(h.url, [
    { channel: '/meta/subscribe', clientId, subscription: '/chat', id: 's' },
  ]);
  expect(messages[0]).toMatchObject({ successful: true });
  return clientId;
}

describe('long-polling: a reply whose response is gone gives its messages back', () => {
  it('a held connect woken by publishes: the taken messages ride the next connect, in order', async () => {
    h = await startServer({ timeout: 3000 });
    const clientId = await subscribed(h);
    const kill = killNextConnectReply(h, clientId);
    const held = rawPost(h.url, [connect(clientId, 'c1')]);
    await until(() => h!.bayeux.heldConnects > 0, 'the connect to be held');
    await h.bayeux.publish('/chat', { n: 1 });
    await h.bayeux.publish('/chat', { n: 2 });
    expect(await held).toBeInstanceOf(Error); // the socket was destroyed under the reply
    expect(kill.fired).toBe(true);
    const next = await post(h.url, [connect(clientId, 'c2')]);
    expect(next.messages.filter((m) => m.channel === '/chat').map((m) => m.data)).toEqual([
      { n: 1 },
      { n: 2 },
    ]);
    expect(next.messages.at(-1)).toMatchObject({ channel: '/meta/connect', id: 'c2', successful: true });
  });

  it('an immediate connect (messages already queued): they are requeued ahead of newer ones', async () => {
    h = await startServer({ timeout: 3000 });
    const clientId = await subscribed(h);
    await h.bayeux.publish('/chat', { n: 1 });
    const kill = killNextConnectReply(h, clientId);
    // Queued messages: the connect is answered at once, and its reply dies on the way out.
    expect(await rawPost(h.url, [connect(clientId, 'c1')])).toBeInstanceOf(Error);
    expect(kill.fired).toBe(true);
    await h.bayeux.publish('/chat', { n: 2 });
    const next = await post(h.url, [connect(clientId, 'c2')]);
    expect(next.messages.filter((m) => m.channel === '/chat').map((m) => m.data)).toEqual([
      { n: 1 },
      { n: 2 },
    ]);
  });

  it('callback-polling (JSON-P) gives them back the same way', async () => {
    h = await startServer({ timeout: 3000 });
    const clientId = await subscribed(h);
    await h.bayeux.publish('/chat', { n: 1 });
    const kill = killNextConnectReply(h, clientId);
    const query = `message=${encodeURIComponent(JSON.stringify([connect(clientId, 'c1', { connectionType: 'callback-polling' })]))}&jsonp=cb`;
    const gone = await new Promise<string | Error>((resolve) => {
      const req = request(`${h!.url}?${query}`, (res) => {
        res.resume();
        res.on('end', () => resolve('answered'));
        res.on('error', (err) => resolve(err));
      });
      req.on('error', (err) => resolve(err));
      req.end();
    });
    expect(gone).toBeInstanceOf(Error);
    expect(kill.fired).toBe(true);
    const next = await post(h.url, [connect(clientId, 'c2')]);
    expect(next.messages.filter((m) => m.channel === '/chat').map((m) => m.data)).toEqual([{ n: 1 }]);
  });

  it('with the ack extension the unacknowledged batch is sent again once, not requeued as well', async () => {
    h = await startServer({ timeout: 3000 });
    h.bayeux.addExtension(ackExtension());
    const hs = await post(h.url, [{ ...HANDSHAKE, ext: { ack: true } }]);
    const clientId = hs.messages[0]!.clientId as string;
    await post(h.url, [
      connect(clientId, 'c0', { ext: { ack: 0 } }),
      { channel: '/meta/subscribe', clientId, subscription: '/chat', id: 's' },
    ]);
    await h.bayeux.publish('/chat', { n: 1 });
    const kill = killNextConnectReply(h, clientId);
    expect(await rawPost(h.url, [connect(clientId, 'c1', { ext: { ack: 0 } })])).toBeInstanceOf(Error);
    expect(kill.fired).toBe(true);
    // Batch 1 never arrived: the client acknowledges batch 0 again and gets {n:1} once, as the ack
    // extension resends it (a requeue on top would deliver it twice).
    const next = await post(h.url, [connect(clientId, 'c2', { ext: { ack: 0 } })]);
    expect(next.messages.filter((m) => m.channel === '/chat').map((m) => m.data)).toEqual([{ n: 1 }]);
  });
});
