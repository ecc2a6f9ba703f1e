// deliveryWindow (options.ts): a held long-poll connect woken by a message stays open for the window, so
// messages published meanwhile ride the same reply (CometD lazy messages, Faye's delivery timeout); the
// default is 5 ms, 0 answers at once. The hold's timers are faked, so "not answered yet" cannot depend on speed.
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_DELIVERY_WINDOW, resolveOptions } from '../src/options.js';
import { connect, connectedClient, type Harness, post, startServer } from './helpers/http.js';

let h: Harness | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await h?.close();
  h = undefined;
});

/** Real event-loop turns (setImmediate is not faked) until `predicate` holds, at most `turns`. */
async function turnsUntil(predicate: () => boolean, turns = 2000): Promise<boolean> {
  for (let i = 0; i < turns && !predicate(); i++) await new Promise((r) => setImmediate(r));
  return predicate();
}

async function heldSubscriber(options: { deliveryWindow?: number }): Promise<{
  clientId: string;
  reply: Promise<Message[]>;
  settled: () => boolean;
}> {
  h = await startServer({ timeout: 30_000, ...options });
  const c = await connectedClient(h.url);
  await post(h.url, [{ channel: '/meta/subscribe', clientId: c, subscription: '/w', id: 's' }]);
  let done = false;
  const reply = post(h.url, [connect(c, 'held')]).then((r) => {
    done = true;
    return r.messages;
  });
  expect(await turnsUntil(() => h!.bayeux.heldConnects === 1)).toBe(true);
  return { clientId: c, reply, settled: () => done };
}

describe('deliveryWindow', () => {
  it('defaults to 5 ms: the woken connect is answered when the window ends, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { reply, settled } = await heldSubscriber({});
    await h!.bayeux.publish('/w', 'one');
    expect(await turnsUntil(settled, 200)).toBe(false);
    vi.advanceTimersByTime(4);
    expect(await turnsUntil(settled, 200)).toBe(false);
    await h!.bayeux.publish('/w', 'two');
    vi.advanceTimersByTime(1);
    expect(await turnsUntil(settled)).toBe(true);
    expect((await reply).map((m) => [m.channel, m.data ?? m.id])).toEqual([
      ['/w', 'one'],
      ['/w', 'two'],
      ['/meta/connect', 'held'],
    ]);
  });

  it('0: the first message answers the held connect at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { reply, settled } = await heldSubscriber({ deliveryWindow: 0 });
    await h!.bayeux.publish('/w', 'one');
    // No fake time passes: the answer cannot come from a timer.
    expect(await turnsUntil(settled)).toBe(true);
    const messages = await reply;
    expect(messages.map((m) => [m.channel, m.data ?? m.id])).toEqual([
      ['/w', 'one'],
      ['/meta/connect', 'held'],
    ]);
  });

  it('holds the woken connect for the window: messages published meanwhile share the reply, in order', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { reply, settled } = await heldSubscriber({ deliveryWindow: 50 });
    await h!.bayeux.publish('/w', 'one');
    await h!.bayeux.publish('/w', 'two');
    await h!.bayeux.publish('/w', 'three');
    expect(await turnsUntil(settled, 200)).toBe(false);
    vi.advanceTimersByTime(49);
    expect(await turnsUntil(settled, 200)).toBe(false);
    vi.advanceTimersByTime(1);
    expect(await turnsUntil(settled)).toBe(true);
    const messages = await reply;
    expect(messages.map((m) => [m.channel, m.data ?? m.id])).toEqual([
      ['/w', 'one'],
      ['/w', 'two'],
      ['/w', 'three'],
      ['/meta/connect', 'held'],
    ]);
    expect(h!.bayeux.heldConnects).toBe(0);
  });

  it('a newer connect during the window still answers the older one at once (Bayeux §4.2)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { clientId, reply, settled } = await heldSubscriber({ deliveryWindow: 1000 });
    await h!.bayeux.publish('/w', 'one');
    expect(await turnsUntil(settled, 200)).toBe(false);
    const newer = post(h!.url, [connect(clientId, 'newer')]);
    expect(await turnsUntil(settled)).toBe(true);
    // The replaced connect carries nothing: the message waits for the newer one, which answers at once.
    expect((await reply).map((m) => m.id)).toEqual(['held']);
    expect((await newer).messages.map((m) => [m.channel, m.data ?? m.id])).toEqual([
      ['/w', 'one'],
      ['/meta/connect', 'newer'],
    ]);
  });

  it('is validated: a number of ms from 0 to 1000', () => {
    expect(MAX_DELIVERY_WINDOW).toBe(1000);
    expect(resolveOptions({}).deliveryWindow).toBe(5);
    expect(resolveOptions({ deliveryWindow: 1000 }).deliveryWindow).toBe(1000);
    expect(() => resolveOptions({ deliveryWindow: 1001 })).toThrow(RangeError);
    expect(() => resolveOptions({ deliveryWindow: -1 })).toThrow(RangeError);
    expect(() => resolveOptions({ deliveryWindow: '5' as never })).toThrow(TypeError);
  });
});
