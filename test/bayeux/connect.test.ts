// Bayeux §4.2 /meta/connect: held until something is queued or the timeout passes, released by a
// publish, first connect answered at once, one outstanding connect per client, client advice honoured,
// queued messages riding the connect reply; on every transport.

import type { Message } from '@pushwire/bayeux';
import { expect, it } from 'vitest';
import { matrix, timed } from './support/matrix.js';
import { HttpStatusError } from './support/polling-driver.js';
import { Session } from './support/session.js';

const isHttpHeld = (t: string) => t === 'long-polling' || t === 'callback-polling';

matrix('connect', (ctx) => {
  it.skipIf(!ctx.profile.firstConnectImmediate)(
    'answers the first connect after a handshake at once',
    async () => {
      const s = new Session(await ctx.driver());
      await s.handshake();
      const { value, ms } = await timed(s.connect());
      expect(value.reply).toMatchObject({ channel: '/meta/connect', successful: true });
      expect(ms).toBeLessThan(1000); // the server holds connects for 2000 ms
    },
  );

  it('holds a connect until a publish releases it (pushes it over websocket; short polling never holds)', async () => {
    const sub = await ctx.open();
    const pub = await ctx.open();
    expect((await sub.subscribe('/held')).successful).toBe(true);
    let settled = false;
    if (ctx.transport === 'short-polling') {
      const { value, ms } = await timed(sub.connect());
      expect(ms).toBeLessThan(1000);
      expect(value.batch.filter((m) => m.data !== undefined)).toEqual([]);
      expect((await pub.publish('/held', { n: 1 })).successful).toBe(true);
      expect((await sub.receive((m) => m.channel === '/held')).data).toEqual({ n: 1 });
      return;
    }
    const held = (await sub.connectHeld(ctx.server())).pending.finally(() => {
      settled = true;
    });
    expect(settled).toBe(false);
    const published = timed(pub.publish('/held', { n: 1 }));
    const released = timed(held);
    expect((await published).value.successful).toBe(true);
    if (ctx.transport === 'websocket') {
      // The server pushes as soon as the message is queued; the connect stays held as a heartbeat.
      const pushed = await sub.driver.waitForDelivery((m) => m.channel === '/held', 1000);
      expect(pushed.data).toEqual({ n: 1 });
      expect(settled).toBe(false);
      return;
    }
    // Released by the publish, long before the server's 2000 ms timeout.
    const { value, ms } = await released;
    expect(ms).toBeLessThan(1500);
    expect(value.reply.successful).toBe(true);
    expect(value.batch.filter((m) => m.channel === '/held').map((m) => m.data)).toEqual([{ n: 1 }]);
  });

  it('answers a held connect when the server timeout passes', async () => {
    // A short server timeout keeps the suite fast; the held connect must last that long, no longer.
    const server = await ctx.restart({ timeout: 600 });
    const s = await Session.open(server, ctx.transport);
    try {
      const { value, ms } = await timed(s.connect());
      expect(value.reply).toMatchObject({ channel: '/meta/connect', successful: true });
      if (ctx.transport === 'short-polling') {
        expect(ms).toBeLessThan(500);
      } else {
        expect(ms).toBeGreaterThanOrEqual(550);
        expect(ms).toBeLessThan(2000);
      }
    } finally {
      await s.close();
    }
  });

  it("honours the client's advice.timeout", async () => {
    const s = await ctx.open();
    const { value, ms } = await timed(s.connect({ timeout: 300 }));
    expect(value.reply.successful).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(1500);
  });

  it.skipIf(!ctx.profile.newerConnectReleasesOlder || ctx.transport === 'short-polling')(
    'releases the held connect at once when a newer one arrives',
    async () => {
      const s = await ctx.open();
      const parked = (await s.connectHeld(ctx.server())).pending;
      const older = timed(
        parked.then(
          (r): Message | HttpStatusError => r.reply,
          // CometD answers the replaced poll with HTTP 500 (duplicateMetaConnectHttpResponseCode).
          (e: unknown) => {
            if (e instanceof HttpStatusError) return e;
            throw e;
          },
        ),
      );
      let newerSettled = false;
      const newer = s.connect().finally(() => {
        newerSettled = true;
      });
      const { value, ms } = await older;
      expect(ms).toBeLessThan(1000);
      expect(newerSettled).toBe(false);
      if (!(value instanceof HttpStatusError)) expect(value.channel).toBe('/meta/connect');
      const latest = await newer;
      expect(latest.reply.successful).toBe(true);
    },
  );

  it('delivers queued messages in the next connect reply, at once and in order', async () => {
    const sub = await ctx.open();
    const pub = await ctx.open();
    expect((await sub.subscribe('/queued')).successful).toBe(true);
    for (let n = 1; n <= 3; n++) expect((await pub.publish('/queued', { n })).successful).toBe(true);
    if (ctx.transport === 'websocket') {
      // Nothing outstanding, yet the server pushes each message as soon as it is queued.
      await sub.driver.waitForDelivery(
        (m) => m.channel === '/queued' && (m.data as { n: number }).n === 3,
        1000,
      );
      expect(sub.on('/queued').map((m) => m.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      return;
    }
    const { value, ms } = await timed(sub.connect());
    expect(ms).toBeLessThan(1000);
    expect(value.reply.successful).toBe(true);
    expect(value.batch.filter((m) => m.channel === '/queued').map((m) => m.data)).toEqual([
      { n: 1 },
      { n: 2 },
      { n: 3 },
    ]);
  });

  it.skipIf(!ctx.profile.connectWithOthersImmediate || !isHttpHeld(ctx.transport))(
    'answers at once a connect that shares its request with other messages',
    async () => {
      const s = await ctx.open();
      const batch = timed(
        s.driver.send([
          { channel: '/meta/connect', clientId: s.clientId, connectionType: s.connectionType, id: 'c' },
          { channel: '/meta/subscribe', clientId: s.clientId, subscription: '/other', id: 's' },
        ]),
      );
      const { value, ms } = await batch;
      expect(ms).toBeLessThan(1000);
      expect(value.find((m) => m.id === 'c')).toMatchObject({ channel: '/meta/connect', successful: true });
      expect(value.find((m) => m.id === 's')).toMatchObject({ channel: '/meta/subscribe', successful: true });
    },
  );
});
