// Subscriptions were bounded by count only (maxSubscriptionsPerClient): with names of up to 512 characters
// one session could pin 100 x 512 bytes in the engine. maxSubscriptionBytesPerClient bounds their bytes;
// crossed by one here over long-polling and over a WebSocket, all or nothing for an array, freed by an
// unsubscribe; local sessions are held to the same bound.
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { type BayeuxHarness, postBayeux, RawBayeuxWs, startBayeux } from './bayeux-support.js';

let h: BayeuxHarness | undefined;
const sockets: RawBayeuxWs[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) await s.end();
  await h?.close();
  h = undefined;
});

// Three names of 10 bytes each: two fit in 20 bytes, the third is one name past it.
const A = '/a23456789';
const B = '/b23456789';
const C = '/c';

async function pollingClient(port: number): Promise<(m: Partial<Message>) => Promise<Message>> {
  const { replies } = await postBayeux(port, [
    { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] },
  ]);
  const clientId = replies[0]?.clientId as string;
  return async (m) => {
    const { replies: r } = await postBayeux(port, [{ clientId, ...m } as Message]);
    return r[0] as Message;
  };
}

describe('maxSubscriptionBytesPerClient', () => {
  it('long-polling: up to the bound accepted, one byte past it refused with 403:bytes,<n>, freed by an unsubscribe', async () => {
    h = await startBayeux({ maxSubscriptionBytesPerClient: 20 });
    const send = await pollingClient(h.port);
    expect((await send({ channel: '/meta/subscribe', subscription: A })).successful).toBe(true);
    expect((await send({ channel: '/meta/subscribe', subscription: B })).successful).toBe(true);
    // A repeated subscription costs nothing more; /service/** is not recorded, so not counted.
    expect((await send({ channel: '/meta/subscribe', subscription: A })).successful).toBe(true);
    expect((await send({ channel: '/meta/subscribe', subscription: '/service/x' })).successful).toBe(true);
    expect(await send({ channel: '/meta/subscribe', subscription: C, id: 'over' })).toEqual({
      channel: '/meta/subscribe',
      id: 'over',
      successful: false,
      error: '403:bytes,20:subscriptions_exceeded',
      subscription: C,
    });
    expect((await send({ channel: '/meta/unsubscribe', subscription: B })).successful).toBe(true);
    expect((await send({ channel: '/meta/subscribe', subscription: C })).successful).toBe(true);
  });

  it('websocket: an array that would pass the bound is refused whole (nothing of it is subscribed)', async () => {
    h = await startBayeux({ maxSubscriptionBytesPerClient: 20 });
    const ws = await RawBayeuxWs.open(h.port);
    sockets.push(ws);
    ws.send([
      { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], id: 'h' },
    ]);
    const clientId = (await ws.reply('h')).clientId as string;
    ws.send([{ channel: '/meta/subscribe', clientId, subscription: [A, B, C], id: 's1' }]);
    expect(await ws.reply('s1')).toMatchObject({
      successful: false,
      error: '403:bytes,20:subscriptions_exceeded',
    });
    expect(await h.bayeux.engine.subscriptions(clientId)).toEqual([]);
    ws.send([{ channel: '/meta/subscribe', clientId, subscription: [A, B], id: 's2' }]);
    expect((await ws.reply('s2')).successful).toBe(true);
    expect((await h.bayeux.engine.subscriptions(clientId)).sort()).toEqual([A, B]);
  });

  it('a local session is held to the same bound (it throws)', async () => {
    h = await startBayeux({ maxSubscriptionBytesPerClient: 20 });
    const local = h.bayeux.localSession();
    await local.subscribe(A, () => {});
    await local.subscribe(B, () => {});
    await expect(local.subscribe(C, () => {})).rejects.toThrow(/maxSubscriptionBytesPerClient \(20 bytes\)/);
    await local.unsubscribe(A);
    await local.subscribe(C, () => {});
    await local.close();
  });

  it('the default bound (32 KiB) holds 109 names of 300 bytes, not a 110th', async () => {
    h = await startBayeux({ maxSubscriptionsPerClient: 1000 });
    const send = await pollingClient(h.port);
    const name = (i: number) => `/${String(i).padStart(3, '0')}${'x'.repeat(295)}`; // 300 bytes
    const first = Array.from({ length: 109 }, (_, i) => name(i)); // 32,700 bytes
    // At most 100 names per subscription array (@pushwire/bayeux maxSubscriptionsPerMessage): two requests.
    for (const part of [first.slice(0, 100), first.slice(100)]) {
      expect((await send({ channel: '/meta/subscribe', subscription: part })).successful).toBe(true);
    }
    const refused = await send({ channel: '/meta/subscribe', subscription: name(109) });
    expect(refused.error).toBe('403:bytes,32768:subscriptions_exceeded');
  });
});
