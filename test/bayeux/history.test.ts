// Channel history and recovery on the wire (issue 9), on every transport, against our server: positions
// in `ext.history`, `ext.recover` / `ext.history: {last}` on /meta/subscribe, the reply's `ext.recover`,
// and replays that never lose, repeat or reorder a message even while publishes race the re-subscribe.

import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './support/servers.js';
import { Session } from './support/session.js';
import { TRANSPORTS } from './support/transport.js';

const CHANNELS = {
  '/chat/**': { history: { size: 50, ttl: 3_600_000 } },
  '/small/*': { history: { size: 3 } },
};

interface Position {
  offset: number;
  epoch: string;
}

const positionOf = (m: Message): Position => (m.ext as { history: Position }).history;

for (const transport of TRANSPORTS) {
  describe(`history [ours, ${transport}]`, () => {
    const closers: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const close of closers.splice(0).reverse()) await close().catch(() => {});
    });

    async function server(): Promise<RunningServer> {
      const s = await startServer('ours', { bayeux: { channels: CHANNELS }, timeout: 1000 });
      closers.push(() => s.close());
      return s;
    }

    async function open(s: RunningServer, t = transport): Promise<Session> {
      const session = await Session.open(s, t);
      closers.push(() => session.close());
      return session;
    }

    /** Polls (or waits, on websocket) until `n` deliveries on `channel` have arrived; returns them. */
    async function deliveriesOn(session: Session, channel: string, n: number): Promise<Message[]> {
      if (n > 0) await session.receive(() => session.on(channel).length >= n, 5000);
      return session.on(channel);
    }

    it('every delivery carries ext.history; a subscribe reply says where the live stream starts', async () => {
      const s = await server();
      const sub = await open(s);
      const pub = await open(s, 'long-polling');
      const reply = await sub.subscribe('/chat/room');
      expect(reply.successful).toBe(true);
      const start = (reply.ext as { history: Position }).history;
      expect(start.offset).toBe(0);
      expect(typeof start.epoch).toBe('string');
      for (const n of [1, 2, 3]) expect((await pub.publish('/chat/room', { n })).successful).toBe(true);
      const got = await deliveriesOn(sub, '/chat/room', 3);
      expect(got.map((m) => m.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(got.map(positionOf)).toEqual([1, 2, 3].map((offset) => ({ offset, epoch: start.epoch })));
    });

    it('a publisher cannot forge a position', async () => {
      const s = await server();
      const sub = await open(s);
      await sub.subscribe('/chat/forged');
      await sub.subscribe('/plain');
      const pub = await open(s, 'long-polling');
      await pub.publish('/chat/forged', 'x', { ext: { history: { offset: 99, epoch: 'fake' }, keep: 1 } });
      await pub.publish('/plain', 'y', { ext: { history: { offset: 99, epoch: 'fake' } } });
      const [forged] = await deliveriesOn(sub, '/chat/forged', 1);
      expect(forged?.ext).toMatchObject({ keep: 1, history: { offset: 1 } });
      expect(positionOf(forged as Message).epoch).not.toBe('fake');
      const [plain] = await deliveriesOn(sub, '/plain', 1);
      expect(plain?.ext).toEqual({});
    });

    it('ext.recover replays exactly what followed the position, oldest first, before newer messages', async () => {
      const s = await server();
      const pub = await open(s, 'long-polling');
      const first = await open(s);
      await first.subscribe('/chat/r');
      for (let i = 1; i <= 3; i++) await pub.publish('/chat/r', i);
      const seen = await deliveriesOn(first, '/chat/r', 3);
      const last = positionOf(seen[2] as Message);
      // The session is lost meanwhile; four more are published.
      await first.close();
      for (let i = 4; i <= 7; i++) await pub.publish('/chat/r', i);
      const again = await open(s);
      const { reply: recovered } = await again.call({
        channel: '/meta/subscribe',
        subscription: '/chat/r',
        ext: { recover: last },
      });
      expect(recovered).toMatchObject({
        successful: true,
        subscription: '/chat/r',
        ext: { recover: { recovered: true, epoch: last.epoch, offset: 7 } },
      });
      await pub.publish('/chat/r', 8);
      const got = await deliveriesOn(again, '/chat/r', 5);
      expect(got.map((m) => m.data)).toEqual([4, 5, 6, 7, 8]);
      expect(got.map((m) => positionOf(m).offset)).toEqual([4, 5, 6, 7, 8]);
    });

    it('recovery is refused honestly: older than the history, another epoch, no history on the channel', async () => {
      const s = await server();
      const pub = await open(s, 'long-polling');
      const watcher = await open(s);
      await watcher.subscribe('/small/a');
      for (let i = 1; i <= 5; i++) await pub.publish('/small/a', i);
      const epoch = positionOf((await deliveriesOn(watcher, '/small/a', 5))[0] as Message).epoch;
      const cases: Array<[Message['ext'], unknown]> = [
        // size 3 keeps 3..5: after offset 2 is complete, after offset 1 is not.
        [{ recover: { offset: 2, epoch } }, { recovered: true, epoch, offset: 5 }],
        [{ recover: { offset: 1, epoch } }, { recovered: false, epoch, offset: 5 }],
        [{ recover: { offset: 5, epoch: 'another' } }, { recovered: false, epoch, offset: 5 }],
      ];
      for (const [ext, expected] of cases) {
        const c = await open(s);
        const { reply } = await c.call({ channel: '/meta/subscribe', subscription: '/small/a', ext });
        expect(reply.successful).toBe(true);
        expect((reply.ext as { recover: unknown }).recover).toEqual(expected);
      }
      const c = await open(s);
      const { reply } = await c.call({
        channel: '/meta/subscribe',
        subscription: '/nohistory',
        ext: { recover: { offset: 1, epoch } },
      });
      expect(reply).toMatchObject({ successful: true, ext: { recover: { recovered: false } } });
    });

    it('ext.history {last: N} replays the newest N', async () => {
      const s = await server();
      const pub = await open(s, 'long-polling');
      for (let i = 1; i <= 5; i++) await pub.publish('/chat/last', i);
      const c = await open(s);
      const { reply } = await c.call({
        channel: '/meta/subscribe',
        subscription: '/chat/last',
        ext: { history: { last: 2 } },
      });
      expect(reply.ext).toMatchObject({ recover: { recovered: true, offset: 5 } });
      expect((await deliveriesOn(c, '/chat/last', 2)).map((m) => m.data)).toEqual([4, 5]);
    });

    it('a malformed recovery request is a field_invalid error', async () => {
      const s = await server();
      const c = await open(s);
      for (const ext of [
        { recover: { offset: -1, epoch: 'e' } },
        { recover: { offset: 1.5, epoch: 'e' } },
        { recover: { offset: 1, epoch: 'e'.repeat(65) } },
        { recover: 'x' },
        { history: { last: 'x' } },
      ]) {
        const { reply } = await c.call({ channel: '/meta/subscribe', subscription: '/chat/bad', ext });
        expect(reply).toMatchObject({ successful: false, error: '400:ext.recover:field_invalid' });
      }
    });

    it('publishes racing a recovering re-subscribe: no loss, no duplicate, order kept (seeded rounds)', async () => {
      const s = await server();
      const pub = await open(s, 'long-polling');
      let seed = transport.length * 7919;
      const random = (): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      for (let round = 0; round < 6; round++) {
        const channel = `/chat/race${round}`;
        const before = await open(s);
        await before.subscribe(channel);
        const k = 1 + Math.floor(random() * 4);
        for (let i = 1; i <= k; i++) await pub.publish(channel, i);
        const seen = await deliveriesOn(before, channel, k);
        const last = positionOf(seen[k - 1] as Message);
        await before.close();
        // Publishes in flight while the new session re-subscribes with recover.
        const total = k + 2 + Math.floor(random() * 8);
        const inFlight: Promise<Message>[] = [];
        const after = await open(s);
        const splitAt = k + Math.floor(random() * (total - k));
        for (let i = k + 1; i <= splitAt; i++) inFlight.push(pub.publish(channel, i));
        const resubscribed = after.call({
          channel: '/meta/subscribe',
          subscription: channel,
          ext: { recover: last },
        });
        for (let i = splitAt + 1; i <= total; i++) inFlight.push(pub.publish(channel, i));
        const { reply } = await resubscribed;
        expect(reply.ext).toMatchObject({ recover: { recovered: true } });
        await Promise.all(inFlight);
        const got = await deliveriesOn(after, channel, total - k);
        const expected = Array.from({ length: total - k }, (_, i) => k + 1 + i);
        // Concurrent HTTP publishes may reach the server in any order: the server's order is the offsets.
        expect(got.map((m) => positionOf(m).offset)).toEqual(expected);
        expect(got.map((m) => m.data as number).sort((a, b) => a - b)).toEqual(expected);
        await after.close();
      }
    });
  });
}
