// Bayeux §4.5-4.6 subscribe/unsubscribe, §2.2.1 wildcards, §2.2.2 meta channels and §2.2.3 service
// channels, on every transport.

import { expect, it } from 'vitest';
import { matrix } from './support/matrix.js';
import { flush, type Session } from './support/session.js';

matrix('subscribe', (ctx) => {
  async function pair(): Promise<{ sub: Session; pub: Session }> {
    const sub = await ctx.open();
    const pub = await ctx.open();
    expect((await sub.subscribe('/marker')).successful).toBe(true);
    return { sub, pub };
  }

  it('subscribes to one channel and receives on it', async () => {
    const { sub, pub } = await pair();
    const reply = await sub.subscribe('/one');
    expect(reply).toMatchObject({ channel: '/meta/subscribe', successful: true, subscription: '/one' });
    await pub.publish('/one', 'hello');
    expect((await sub.receive((m) => m.channel === '/one')).data).toBe('hello');
  });

  it('subscribes to an array of channels in one message', async () => {
    const { sub, pub } = await pair();
    const reply = await sub.subscribe(['/arr/a', '/arr/b']);
    expect(reply).toMatchObject({
      channel: '/meta/subscribe',
      successful: true,
      subscription: ['/arr/a', '/arr/b'],
    });
    await pub.publish('/arr/a', 1);
    await pub.publish('/arr/b', 2);
    expect((await sub.receive((m) => m.channel === '/arr/b')).data).toBe(2);
    expect(sub.on('/arr/a').map((m) => m.data)).toEqual([1]);
  });

  it('unsubscribes one channel and an array, and stops delivering', async () => {
    const { sub, pub } = await pair();
    await sub.subscribe(['/u/a', '/u/b', '/u/c']);
    const one = await sub.unsubscribe('/u/a');
    expect(one).toMatchObject({ channel: '/meta/unsubscribe', successful: true, subscription: '/u/a' });
    const many = await sub.unsubscribe(['/u/b', '/u/c']);
    expect(many).toMatchObject({
      channel: '/meta/unsubscribe',
      successful: true,
      subscription: ['/u/b', '/u/c'],
    });
    for (const c of ['/u/a', '/u/b', '/u/c']) await pub.publish(c, c);
    await flush(sub, pub);
    expect(sub.driver.deliveries.filter((m) => m.channel.startsWith('/u/'))).toEqual([]);
  });

  it('delivers /* matches (one segment) with the concrete channel', async () => {
    const { sub, pub } = await pair();
    expect((await sub.subscribe('/w/*')).successful).toBe(true);
    await pub.publish('/w/a', 'a');
    await pub.publish('/w/a/b', 'deep');
    await pub.publish('/w', 'parent');
    await pub.publish('/wx/a', 'sibling');
    await flush(sub, pub);
    const got = sub.driver.deliveries.filter((m) => m.channel !== '/marker');
    expect(got.map((m) => [m.channel, m.data])).toEqual([['/w/a', 'a']]);
  });

  it('delivers /** matches (one or more segments) with the concrete channel', async () => {
    const { sub, pub } = await pair();
    expect((await sub.subscribe('/d/**')).successful).toBe(true);
    await pub.publish('/d/a', 1);
    await pub.publish('/d/a/b/c', 2);
    await pub.publish('/d', 3);
    await pub.publish('/dd/a', 4);
    await flush(sub, pub);
    const got = sub.driver.deliveries.filter((m) => m.channel !== '/marker');
    expect(got.map((m) => [m.channel, m.data])).toEqual([
      ['/d/a', 1],
      ['/d/a/b/c', 2],
    ]);
  });

  it('delivers once per client when several of its subscriptions match', async () => {
    const { sub, pub } = await pair();
    expect((await sub.subscribe(['/o/a', '/o/*', '/o/**', '/**'])).successful).toBe(true);
    await pub.publish('/o/a', 'once');
    await flush(sub, pub);
    expect(sub.on('/o/a').map((m) => m.data)).toEqual(['once']);
    // /** matches the marker too, still once.
    expect(sub.on('/marker')).toHaveLength(1);
  });

  it('refuses /meta/subscribe/x and does not subscribe through it (exact meta routing)', async () => {
    const { sub, pub } = await pair();
    const { reply } = await sub.call({ channel: '/meta/subscribe/x', subscription: '/leak' });
    expect(reply.successful).toBe(false);
    expect(reply.error).toMatch(/^40\d:/);
    await pub.publish('/leak', 'leaked');
    await flush(sub, pub);
    expect(sub.on('/leak')).toEqual([]);
  });

  it('refuses remote subscriptions to /meta/**', async () => {
    const s = await ctx.open();
    for (const channel of ['/meta/**', '/meta/*', '/meta/connect', '/meta/foo']) {
      const reply = await s.subscribe(channel);
      expect(reply, channel).toMatchObject({ channel: '/meta/subscribe', successful: false });
      expect(reply.error, channel).toMatch(/^40\d:/);
    }
  });

  it('refuses invalid channel names and misplaced wildcards', async () => {
    const s = await ctx.open();
    for (const channel of ['noslash', '/a//b', '/a/**/b', '/a/*/b', '/a/b*', '/']) {
      const reply = await s.subscribe(channel);
      expect(reply, channel).toMatchObject({ channel: '/meta/subscribe', successful: false });
      expect(reply.error, channel).toMatch(/^\d{3}:/);
    }
  });

  it.skipIf(!ctx.profile.serviceSubscribeSucceeds)(
    'accepts a /service/** subscription without recording it',
    async () => {
      const { sub, pub } = await pair();
      const reply = await sub.subscribe('/service/thing');
      expect(reply).toMatchObject({
        channel: '/meta/subscribe',
        successful: true,
        subscription: '/service/thing',
      });
      // Not recorded: another client's publish to it reaches nobody.
      await pub.publish('/service/thing', 'private');
      await flush(sub, pub);
      expect(sub.on('/service/thing')).toEqual([]);
    },
  );
});
