// The `channels` option (issue 9): per-pattern history and presence, first match wins, every bound a
// checked option; presence info bounded in bytes at the handshake; bayeux.history() / bayeux.presence().
import { describe, expect, it } from 'vitest';
import { ChannelFeatures } from '../src/channel-features.js';
import { createBayeuxServer, createMemoryEngine } from '../src/index.js';
import { HANDSHAKE, post, startServer } from './helpers/http.js';

describe('ChannelFeatures', () => {
  it('first matching pattern wins; defaults fill in; wildcards and presence events have none', () => {
    const f = new ChannelFeatures(
      {
        '/chat/vip': { presence: { maxMembers: 5 } },
        '/chat/**': { history: { size: 10 }, presence: true },
      },
      1000,
    );
    expect(f.history('/chat/vip')).toBeUndefined();
    expect(f.presence('/chat/vip')).toEqual({ maxMembers: 5 });
    expect(f.history('/chat/a/b')).toEqual({
      size: 10,
      ttl: 3_600_000,
      maxBytes: 1024 * 1024,
      maxRecovery: 10,
    });
    expect(f.presence('/chat/a')).toEqual({ maxMembers: 100 });
    expect(f.history('/other')).toBeUndefined();
    expect(f.anyPresence).toBe(true);
    expect(
      new ChannelFeatures({ '/**': { history: { size: 1 } } }, 1000).history('/presence/chat/a'),
    ).toBeUndefined();
  });

  it('maxRecovery defaults to min(size, maxQueue) and may not pass maxQueue (by one)', () => {
    expect(new ChannelFeatures({ '/a': { history: { size: 50 } } }, 20).history('/a')?.maxRecovery).toBe(20);
    expect(
      new ChannelFeatures({ '/a': { history: { size: 50, maxRecovery: 20 } } }, 20).history('/a')
        ?.maxRecovery,
    ).toBe(20);
    expect(() => new ChannelFeatures({ '/a': { history: { size: 50, maxRecovery: 21 } } }, 20)).toThrow(
      TypeError,
    );
  });

  it('refuses bad patterns and out-of-range limits with a message naming the option', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ '/meta/**': { presence: true } }, /broadcast channel/],
      [{ '/service/x': { presence: true } }, /broadcast channel/],
      [{ chat: { presence: true } }, /broadcast channel/],
      [{ '/presence/**': { presence: true } }, /reserved/],
      [{ '/a': { history: { size: 0 } } }, /history.size/],
      [{ '/a': { history: { size: 1_000_001 } } }, /history.size/],
      [{ '/a': { history: { size: 1, ttl: 0 } } }, /history.ttl/],
      [{ '/a': { history: { size: 1, maxBytes: 0 } } }, /history.maxBytes/],
      [{ '/a': { presence: 'yes' } }, /presence must be/],
      [{ '/a': { presence: { maxMembers: -1 } } }, /maxMembers/],
    ];
    for (const [channels, message] of bad) {
      expect(() => new ChannelFeatures(channels as never, 1000)).toThrow(message);
    }
    expect(new ChannelFeatures({ '/a': { history: { size: 1_000_000 } } }, 1000).history('/a')?.size).toBe(
      1_000_000,
    );
    expect(() => createBayeuxServer({ channels: { '/meta/x': {} } })).toThrow(TypeError);
  });
});

describe('presence info at the handshake', () => {
  it('is bounded in bytes (maxPresenceInfoBytes crossed by one, multi-byte characters count)', async () => {
    const engine = createMemoryEngine();
    // JSON of a string of n "é" is n * 2 bytes + 2 quotes.
    const h = await startServer(
      {
        maxPresenceInfoBytes: 12,
        channels: { '/room': { presence: true } },
        presenceInfo: (m) => (m.ext as { nick: string }).nick,
      },
      engine as never,
    );
    try {
      const ok = await post(h.url, [{ ...HANDSHAKE, ext: { nick: 'ééééé' } }]);
      expect(ok.messages[0]).toMatchObject({ successful: true });
      const over = await post(h.url, [{ ...HANDSHAKE, ext: { nick: 'éééééa' } }]);
      expect(over.messages[0]).toMatchObject({
        successful: false,
        error: '400:presence_info:field_invalid',
        advice: { reconnect: 'none' },
      });
      const clientId = ok.messages[0]?.clientId as string;
      await post(h.url, [{ channel: '/meta/subscribe', clientId, subscription: '/room', id: '2' }]);
      const who = await h.bayeux.presence('/room');
      expect(who.members).toEqual([{ clientId, id: expect.any(String), info: 'ééééé' }]);
      expect(who.members?.[0]?.id).not.toContain(clientId);
      expect(await engine.clientCount()).toBe(1);
    } finally {
      await h.close();
    }
  });
});

describe('bayeux.history()', () => {
  it('reads the newest `limit`, or what followed `since`; refuses a channel without history', async () => {
    const bayeux = createBayeuxServer({ channels: { '/h/*': { history: { size: 5 } } } });
    try {
      for (let i = 1; i <= 7; i++) await bayeux.publish('/h/a', i);
      const all = await bayeux.history('/h/a');
      expect(all.messages.map((m) => m.data)).toEqual([3, 4, 5, 6, 7]);
      expect(all.offset).toBe(7);
      // The default limit is the history size: 5 asked, 5 there.
      expect(all.complete).toBe(true);
      const six = await bayeux.history('/h/a', { limit: 6 });
      expect(six.messages).toHaveLength(5);
      expect(six.complete).toBe(false);
      const two = await bayeux.history('/h/a', { limit: 2 });
      expect(two.messages.map((m) => m.data)).toEqual([6, 7]);
      expect(two.complete).toBe(true);
      const since = await bayeux.history('/h/a', { since: { offset: 4, epoch: all.epoch } });
      expect(since.messages.map((m) => m.data)).toEqual([5, 6, 7]);
      expect(since.complete).toBe(true);
      const tooOld = await bayeux.history('/h/a', { since: { offset: 1, epoch: all.epoch } });
      expect(tooOld).toMatchObject({ complete: false, messages: [] });
      await expect(bayeux.history('/nohistory')).rejects.toThrow(TypeError);
      await expect(bayeux.presence('/h/a')).rejects.toThrow(TypeError);
      await expect(bayeux.history('/h/a', { limit: -1 })).rejects.toThrow(TypeError);
    } finally {
      await bayeux.close();
    }
  });
});
