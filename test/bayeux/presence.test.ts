// Presence on the wire (issue 9), on every transport, against our server: join/leave events on
// `/presence<channel>` for subscribe, unsubscribe, disconnect and expiry; the `/service/presence` query;
// counts only for large rooms; public member ids, never client ids.

import { createHash } from 'node:crypto';
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type RunningServer, type ServerOptions, startServer } from './support/servers.js';
import { openDriver, Session } from './support/session.js';
import { TRANSPORTS } from './support/transport.js';

const OPTIONS: ServerOptions = {
  timeout: 1000,
  bayeux: {
    channels: { '/room/big': { presence: { maxMembers: 2 } }, '/room/*': { presence: true } },
    presenceInfo: (handshake) => ({ nick: (handshake.ext as { nick?: string } | undefined)?.nick ?? null }),
  },
};

interface PresenceEvent {
  action: 'join' | 'leave';
  channel: string;
  member: { id: string; info: unknown };
  count: number;
}

const idOf = (clientId: string) => createHash('sha256').update(clientId).digest('base64url').slice(0, 22);

for (const transport of TRANSPORTS) {
  describe(`presence [ours, ${transport}]`, () => {
    const closers: Array<() => Promise<void>> = [];
    afterEach(async () => {
      vi.useRealTimers();
      for (const close of closers.splice(0).reverse()) await close().catch(() => {});
    });

    async function server(opts: ServerOptions = {}): Promise<RunningServer> {
      const s = await startServer('ours', { ...OPTIONS, ...opts });
      closers.push(() => s.close());
      return s;
    }

    async function open(s: RunningServer, nick?: string): Promise<Session> {
      const session = new Session(await openDriver(s, transport));
      closers.push(() => session.close());
      await session.handshake(nick === undefined ? {} : { ext: { nick } });
      await session.connect({ timeout: 0 });
      return session;
    }

    async function events(watcher: Session, channel: string, n: number): Promise<PresenceEvent[]> {
      const on = () => watcher.on(`/presence${channel}`);
      if (on().length < n) await watcher.receive(() => on().length >= n, 5000);
      return on().map((m) => m.data as PresenceEvent);
    }

    it('announces joins and leaves (subscribe, unsubscribe, disconnect) with info and counts', async () => {
      const s = await server();
      const watcher = await open(s, 'watch');
      expect((await watcher.subscribe('/presence/room/a')).successful).toBe(true);
      const ann = await open(s, 'ann');
      const bob = await open(s, 'bob');
      expect((await ann.subscribe('/room/a')).successful).toBe(true);
      // Idempotent: a repeated subscribe is not a second join.
      await ann.subscribe('/room/a');
      await bob.subscribe('/room/a');
      await ann.unsubscribe('/room/a');
      await bob.call({ channel: '/meta/disconnect' });
      const got = await events(watcher, '/room/a', 4);
      expect(got).toEqual([
        {
          action: 'join',
          channel: '/room/a',
          member: { id: idOf(ann.clientId), info: { nick: 'ann' } },
          count: 1,
        },
        {
          action: 'join',
          channel: '/room/a',
          member: { id: idOf(bob.clientId), info: { nick: 'bob' } },
          count: 2,
        },
        {
          action: 'leave',
          channel: '/room/a',
          member: { id: idOf(ann.clientId), info: { nick: 'ann' } },
          count: 1,
        },
        {
          action: 'leave',
          channel: '/room/a',
          member: { id: idOf(bob.clientId), info: { nick: 'bob' } },
          count: 0,
        },
      ]);
      // A clientId is a credential: it never appears in what other clients get.
      const wire = JSON.stringify(watcher.driver.deliveries);
      expect(wire).not.toContain(ann.clientId);
      expect(wire).not.toContain(bob.clientId);
    });

    it('answers /service/presence with members, and with the count only past maxMembers (by one)', async () => {
      const s = await server();
      const members: Session[] = [];
      for (const nick of ['a', 'b']) {
        const m = await open(s, nick);
        await m.subscribe('/room/big');
        members.push(m);
      }
      const asker = await open(s);
      const ask = async (data: unknown): Promise<Message> => {
        const id = asker.id();
        const batch = await asker.driver.send({
          channel: '/service/presence',
          clientId: asker.clientId,
          id,
          data,
        });
        const answer = batch.find((m) => m.id === id && m.data !== undefined);
        if (answer === undefined) throw new Error(`no answer in ${JSON.stringify(batch)}`);
        return answer;
      };
      expect((await ask({ channel: '/room/big' })).data).toEqual({
        channel: '/room/big',
        count: 2,
        members: [
          { id: idOf(members[0]?.clientId as string), info: { nick: 'a' } },
          { id: idOf(members[1]?.clientId as string), info: { nick: 'b' } },
        ],
      });
      const third = await open(s, 'c');
      await third.subscribe('/room/big');
      expect((await ask({ channel: '/room/big' })).data).toEqual({ channel: '/room/big', count: 3 });
      expect(await s.bayeux?.presence('/room/big')).toEqual({ channel: '/room/big', count: 3 });
      const refused = await ask({ channel: '/nopresence' });
      expect(refused).toMatchObject({ successful: false, error: '500::service_failed' });
    });

    it('refuses a client publish on /presence/** (a forged join)', async () => {
      const s = await server();
      const c = await open(s);
      const reply = await c.publish('/presence/room/a', { action: 'join' });
      expect(reply).toMatchObject({ successful: false, error: '403:presence_channel:publish_denied' });
    });

    it('an expired session (a closed tab) leaves within maxInterval, and watchers hear it', async () => {
      // Fake Date and interval timers only (the engine sweeper and the server keep-alive); sockets stay real.
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
      const s = await server({ maxInterval: 2000 });
      // The watcher holds a connect over a websocket (a held client never expires) and gets pushes.
      const watcher = await Session.open(s, 'websocket');
      closers.push(() => watcher.close());
      await watcher.subscribe('/presence/room/x');
      const gone = await open(s, 'gone');
      await gone.subscribe('/room/x');
      await watcher.driver.waitForDelivery((m) => (m.data as PresenceEvent).action === 'join', 3000);
      await watcher.connectHeld(s);
      expect((await s.bayeux?.presence('/room/x'))?.count).toBe(1);
      // The tab closes: no more connects. The sweeper runs every second.
      await vi.advanceTimersByTimeAsync(1500);
      expect((await s.bayeux?.presence('/room/x'))?.count).toBe(1);
      const left = new Promise((resolve) => s.bayeux?.on('disconnect', resolve));
      await vi.advanceTimersByTimeAsync(2000);
      expect(await left).toMatchObject({ clientId: gone.clientId, reason: 'expired' });
      expect(await s.bayeux?.presence('/room/x')).toEqual({ channel: '/room/x', count: 0, members: [] });
      const leave = await watcher.driver.waitForDelivery(
        (m) => (m.data as PresenceEvent).action === 'leave',
        3000,
      );
      expect(leave).toMatchObject({
        channel: '/presence/room/x',
        data: { action: 'leave', member: { id: idOf(gone.clientId), info: { nick: 'gone' } }, count: 0 },
      });
    });
  });
}
