// Bayeux §5 publish and delivery, §2.2.3 service channels and §9 service request/response, on every
// transport.

import type { Message } from '@pushwire/bayeux';
import { expect, it } from 'vitest';
import { matrix } from './support/matrix.js';
import { flush, type Session } from './support/session.js';

matrix('publish', (ctx) => {
  async function pair(): Promise<{ sub: Session; pub: Session }> {
    const sub = await ctx.open();
    const pub = await ctx.open();
    expect((await sub.subscribe('/marker')).successful).toBe(true);
    return { sub, pub };
  }

  it('acknowledges a publish with the same id', async () => {
    const s = await ctx.open();
    const batch = await s.driver.send({ channel: '/ack', clientId: s.clientId, data: { x: 1 }, id: 'pub42' });
    const reply = batch.find((m) => m.id === 'pub42');
    expect(reply).toMatchObject({ channel: '/ack', successful: true, id: 'pub42' });
  });

  it("strips the publisher's clientId and id from broadcast copies", async () => {
    const { sub, pub } = await pair();
    await sub.subscribe('/copy');
    await pub.publish('/copy', { secret: false }, { id: 'pubid77' });
    const got = await sub.receive((m) => m.channel === '/copy');
    expect(got.data).toEqual({ secret: false });
    expect(got.clientId).toBeUndefined();
    if (ctx.profile.broadcastKeepsPublisherId) expect(got.id).toBe('pubid77');
    else expect(got.id).not.toBe('pubid77');
    expect(JSON.stringify(got)).not.toContain(pub.clientId);
  });

  it('keeps the order of one publisher, across requests and within a batch', async () => {
    const { sub, pub } = await pair();
    await sub.subscribe('/order');
    for (let n = 0; n < 10; n++) await pub.publish('/order', n);
    const batch: Message[] = [];
    for (let n = 10; n < 20; n++)
      batch.push({ channel: '/order', clientId: pub.clientId, data: n, id: `b${n}` });
    const replies = await pub.driver.send(batch);
    expect(replies.filter((m) => m.channel === '/order' && m.successful === true)).toHaveLength(10);
    await sub.receive((m) => m.channel === '/order' && m.data === 19);
    expect(sub.on('/order').map((m) => m.data)).toEqual([...Array(20).keys()]);
  });

  it('delivers a publish made by server code', async () => {
    const s = await ctx.open();
    await s.subscribe('/from-server');
    await ctx.server().publish('/from-server', { by: 'server' });
    expect((await s.receive((m) => m.channel === '/from-server')).data).toEqual({ by: 'server' });
  });

  it('refuses a publish to a wildcard and delivers nothing', async () => {
    const { sub, pub } = await pair();
    await sub.subscribe(['/wp/*', '/wp/**', '/wp/a']);
    for (const channel of ['/wp/*', '/wp/**']) {
      const reply = await pub.publish(channel, 'glob');
      expect(reply, channel).toMatchObject({ channel, successful: false });
      expect(reply.error, channel).toMatch(/^\d{3}:/);
    }
    await flush(sub, pub);
    expect(sub.driver.deliveries.filter((m) => m.channel.startsWith('/wp'))).toEqual([]);
  });

  it('refuses a publish without data', async () => {
    const s = await ctx.open();
    const { reply } = await s.call({ channel: '/nodata' });
    expect(reply).toMatchObject({ channel: '/nodata', successful: false });
    expect(reply.error).toMatch(/^\d{3}:/);
  });

  it('refuses invalid channel names', async () => {
    const s = await ctx.open();
    for (const channel of ['noslash', '/a//b', '/a/']) {
      const { reply } = await s.call({ channel, data: 1 });
      expect(reply.successful, channel).toBe(false);
      expect(reply.error, channel).toMatch(/^\d{3}:/);
    }
  });

  it('refuses a publish to /meta/ channels other than the five handled ones', async () => {
    const { sub, pub } = await pair();
    await sub.subscribe('/**');
    for (const channel of ['/meta/foo', '/meta/subscribe/x', '/meta/connect/', '/meta/publish']) {
      const { reply } = await pub.call({ channel, data: 'x', subscription: '/x' });
      expect(reply.successful, channel).toBe(false);
      expect(reply.error, channel).toMatch(/^40\d:/);
    }
    await flush(sub, pub);
    expect(sub.driver.deliveries.filter((m) => m.channel.startsWith('/meta'))).toEqual([]);
  });

  it.runIf(ctx.transport === 'callback-polling')(
    'delivers to callback-polling clients only in connect replies',
    async () => {
      const { sub, pub } = await pair();
      await sub.subscribe('/jp');
      await pub.publish('/jp', 'queued');
      // A non-connect request must not carry the delivery (CometD JSONPTransport: metaConnectDeliverOnly).
      const { batch } = await sub.call({ channel: '/meta/subscribe', subscription: '/jp2' });
      expect(batch.filter((m) => m.channel === '/jp')).toEqual([]);
      const { batch: polled } = await sub.connect();
      expect(polled.filter((m) => m.channel === '/jp').map((m) => m.data)).toEqual(['queued']);
    },
  );

  it.skipIf(!ctx.profile.serviceNeverBroadcast)('never broadcasts a /service/** publish', async () => {
    const { sub, pub } = await pair();
    await sub.subscribe(['/**', '/service/**', '/service/private']);
    const reply = await pub.publish('/service/private', 'for the server only');
    expect(reply).toMatchObject({ channel: '/service/private', successful: true });
    await flush(sub, pub);
    expect(sub.driver.deliveries.filter((m) => m.channel.startsWith('/service'))).toEqual([]);
  });

  it.skipIf(!ctx.profile.serviceEcho)(
    'answers /service/echo on the same channel with the same id',
    async () => {
      const s = await ctx.open();
      const other = await ctx.open();
      await other.subscribe(['/**', '/service/echo']);
      await s.driver.send({
        channel: '/service/echo',
        clientId: s.clientId,
        data: { ping: 'pong' },
        id: 'echo9',
      });
      const answer = await s.receive((m) => m.channel === '/service/echo' && m.id === 'echo9');
      expect(answer.data).toEqual({ ping: 'pong' });
      expect(answer.clientId === undefined || answer.clientId === s.clientId).toBe(true);
      // The answer is a direct delivery: nobody else hears it.
      await other.receive(() => false, 300).catch(() => undefined);
      expect(other.driver.deliveries.filter((m) => m.channel === '/service/echo')).toEqual([]);
    },
  );
});
