// Issue 8 item 6: 10,000 publishes to 250-segment names added 227 MB (the channel cache was bounded by count,
// and expand() of such a name is 251 keys of up to 512 characters), each publish costing 10x a shallow one.
// Now a name or subscription deeper than maxChannelSegments is refused with `400:<n>:channel_too_deep`
// before anything is computed for it, and the caches are bounded by bytes.
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNEL_CACHE_MAX_BYTES, channelExpansions } from '../../packages/server/src/channel-cache.js';
import { type BayeuxHarness, RawBayeuxWs, startBayeux } from './bayeux-support.js';

let h: BayeuxHarness | undefined;
const open: RawBayeuxWs[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.socket.destroy();
  await h?.close();
  h = undefined;
});

/** `/s0/s1/...` with `n` segments. */
function deep(n: number, tag = ''): string {
  return Array.from({ length: n }, (_, i) => `/${tag}${i}`).join('');
}

async function joined(subscription: string): Promise<{ c: RawBayeuxWs; clientId: string }> {
  const c = await RawBayeuxWs.open(h!.port);
  open.push(c);
  return { c, clientId: await c.join(subscription) };
}

describe('deep channel names', () => {
  it('publish: maxChannelSegments segments pass, one more is 400:<n>:channel_too_deep', async () => {
    h = await startBayeux();
    const { c, clientId } = await joined('/**');
    c.send([{ channel: deep(32), clientId, data: 'ok', id: 'p32' }]);
    expect(await c.reply('p32')).toMatchObject({ successful: true });
    c.send([{ channel: deep(33), clientId, data: 'no', id: 'p33' }]);
    expect(await c.reply('p33')).toEqual({
      channel: deep(33),
      id: 'p33',
      successful: false,
      error: '400:32:channel_too_deep',
    });
    // The shallower one was delivered (to ourselves: /**); the refused one never was.
    expect(c.data(deep(32)).filter((d) => d !== undefined)).toEqual(['ok']);
    expect(c.data(deep(33)).filter((d) => d !== undefined)).toEqual([]);
  });

  it('subscribe: a pattern one segment too deep is refused with the subscription echoed', async () => {
    h = await startBayeux({ maxChannelSegments: 4 });
    const { c, clientId } = await joined('/a/b/c/*');
    const sub = `${deep(4)}/*`;
    c.send([{ channel: '/meta/subscribe', clientId, subscription: sub, id: 'deep' }]);
    expect(await c.reply('deep')).toEqual({
      channel: '/meta/subscribe',
      id: 'deep',
      subscription: sub,
      successful: false,
      error: '400:4:channel_too_deep',
    });
    expect(await h.bayeux.engine.subscriptions(clientId)).toEqual(['/a/b/c/*']);
  });

  it('server code publishing too deep gets a TypeError naming the limit', async () => {
    h = await startBayeux({ maxChannelSegments: 3 });
    await expect(h.bayeux.publish(deep(4), 1)).rejects.toThrow(/more than 3 segments/);
    expect(await h.bayeux.publish(deep(3), 1)).toBe(0);
  });

  it('the attack, sized for CI: 2,000 deep names cost no cache, 2,000 at the limit stay within the byte bound', async () => {
    h = await startBayeux();
    const { c, clientId } = await joined('/quiet');
    channelExpansions.clear();
    // 250 segments, as in the attack (under the 512-character name limit: one-character segments).
    const tooDeep = (i: number): string => `/${i.toString(36)}${'/x'.repeat(249)}`;
    for (let i = 0; i < 2000; i += 100) {
      c.send(
        Array.from({ length: 100 }, (_, k) => ({
          channel: tooDeep(i + k),
          clientId,
          data: 1,
          id: `d${i + k}`,
        })),
      );
    }
    const last = await c.reply('d1999');
    expect(last.error).toBe('400:32:channel_too_deep');
    expect(channelExpansions.size).toBe(0);
    // At the limit, long names: each expansion is 33 keys of up to ~480 characters.
    const atLimit = (i: number): string =>
      `/${i.toString(36).padStart(4, '0')}${`/${'y'.repeat(14)}`.repeat(31)}`;
    expect(atLimit(0).split('/').length - 1).toBe(32);
    for (let i = 0; i < 2000; i += 100) {
      c.send(
        Array.from({ length: 100 }, (_, k) => ({
          channel: atLimit(i + k),
          clientId,
          data: 1,
          id: `a${i + k}`,
        })),
      );
    }
    expect((await c.reply('a1999')).successful).toBe(true);
    expect(channelExpansions.bytes).toBeGreaterThan(0);
    expect(channelExpansions.bytes).toBeLessThanOrEqual(CHANNEL_CACHE_MAX_BYTES);
    // 2,000 such names would be ~32 MB of keys without the byte bound.
    expect(channelExpansions.size).toBeLessThan(2000);
  });
});
