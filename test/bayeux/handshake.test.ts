// Bayeux §4.1 handshake, §4.4 disconnect, unknown clients and session expiry (§4.2.2), on every
// transport, against our server and Faye's.

import { expect, it } from 'vitest';
import { matrix, timed, within } from './support/matrix.js';
import { replyTo, Session } from './support/session.js';
import { CONNECTION_TYPE } from './support/transport.js';
import { SocketClosedError } from './support/ws-driver.js';

/** Bayeux §2.4 grammar: clientId = alphanum *( alphanum ). */
const CLIENT_ID = /^[A-Za-z0-9]+$/;
/** Bayeux §3.14: error = code ":" args ":" message. */
const ERROR = /^\d{3}:[^:]*:.*$/;

/** Lower bound on the random bits a clientId of this alphabet and length can carry. */
function idBits(id: string): number {
  const perChar = /^[0-9a-f]+$/.test(id) ? 4 : /^[0-9a-z]+$/.test(id) ? Math.log2(36) : Math.log2(62);
  return id.length * perChar;
}

matrix('handshake', (ctx) => {
  it('answers with version, the same id, a >= 128-bit clientId and retry advice', async () => {
    const d = await ctx.driver();
    const type = CONNECTION_TYPE[ctx.transport];
    const batch = await d.send({
      channel: '/meta/handshake',
      version: '1.0',
      minimumVersion: '1.0',
      supportedConnectionTypes: [type, 'bogus-transport'],
      id: 'h1',
    });
    const reply = replyTo(batch, 'h1');
    expect(reply).toMatchObject({ channel: '/meta/handshake', successful: true, version: '1.0', id: 'h1' });
    expect(reply.clientId).toMatch(CLIENT_ID);
    expect(idBits(reply.clientId as string)).toBeGreaterThanOrEqual(128);
    expect(reply.supportedConnectionTypes).toContain(type);
    expect(reply.supportedConnectionTypes).not.toContain('bogus-transport');
    if (ctx.profile.handshakeOffersIntersection) expect(reply.supportedConnectionTypes).toEqual([type]);
    expect(reply.advice).toMatchObject({ reconnect: 'retry', timeout: 2000 });
    expect(typeof reply.advice?.interval).toBe('number');
  });

  it('offers the intersection of several requested types', async () => {
    const d = await ctx.driver();
    const asked = ['long-polling', 'callback-polling', 'websocket', 'flash'];
    const reply = replyTo(
      await d.send({ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: asked, id: 'h2' }),
      'h2',
    );
    expect(reply.successful).toBe(true);
    const offered = reply.supportedConnectionTypes ?? [];
    for (const t of ['long-polling', 'callback-polling', 'websocket']) expect(offered).toContain(t);
    expect(offered).not.toContain('flash');
    if (ctx.profile.handshakeOffersIntersection) {
      expect([...offered].sort()).toEqual(['callback-polling', 'long-polling', 'websocket']);
    }
  });

  it('gives every handshake a unique clientId', async () => {
    const d = await ctx.driver();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const id = `u${i}`;
      const reply = replyTo(
        await d.send({
          channel: '/meta/handshake',
          version: '1.0',
          supportedConnectionTypes: [CONNECTION_TYPE[ctx.transport]],
          id,
        }),
        id,
      );
      ids.add(reply.clientId as string);
    }
    expect(ids.size).toBe(20);
  });

  it('fails when the connection types do not intersect', async () => {
    const d = await ctx.driver();
    const reply = replyTo(
      await d.send({
        channel: '/meta/handshake',
        version: '1.0',
        supportedConnectionTypes: ['iframe'],
        id: 'h3',
      }),
      'h3',
    );
    expect(reply).toMatchObject({ channel: '/meta/handshake', successful: false, id: 'h3' });
    expect(reply.error).toMatch(ERROR);
    expect(reply.clientId).toBeUndefined();
  });

  it('refuses an unknown clientId with handshake advice', async () => {
    const d = await ctx.driver();
    const batch = await d.send({
      channel: '/meta/connect',
      clientId: 'nosuchclient0123456789abcdef',
      connectionType: CONNECTION_TYPE[ctx.transport],
      id: 'c1',
    });
    const reply = replyTo(batch, 'c1');
    expect(reply).toMatchObject({ channel: '/meta/connect', successful: false });
    expect(reply.error).toMatch(ctx.profile.unknownClient.error);
    expect(reply.advice).toEqual(ctx.profile.unknownClient.advice);
  });

  it('refuses subscribe and publish from an unknown clientId', async () => {
    const d = await ctx.driver();
    const clientId = 'nosuchclient0123456789abcdef';
    const batch = await d.send([
      { channel: '/meta/subscribe', clientId, subscription: '/a', id: 's1' },
      { channel: '/a', clientId, data: 1, id: 'p1' },
    ]);
    const sub = replyTo(batch, 's1');
    expect(sub).toMatchObject({ channel: '/meta/subscribe', successful: false });
    expect(sub.error).toMatch(ctx.profile.unknownClient.error);
    if (ctx.kind === 'ours') {
      const pub = replyTo(batch, 'p1');
      expect(pub).toMatchObject({ channel: '/a', successful: false });
      expect(pub.error).toMatch(ctx.profile.unknownClient.error);
    }
  });

  it('refuses a connect without connectionType and a subscribe without subscription', async () => {
    const s = await ctx.open();
    const connect = (await s.call({ channel: '/meta/connect' })).reply;
    expect(connect).toMatchObject({ channel: '/meta/connect', successful: false });
    expect(connect.error).toMatch(ERROR);
    const subscribe = (await s.call({ channel: '/meta/subscribe' })).reply;
    expect(subscribe).toMatchObject({ channel: '/meta/subscribe', successful: false });
    expect(subscribe.error).toMatch(ERROR);
  });

  it('answers a publish sent without a clientId (Bayeux §1.4.8: MUST answer)', async () => {
    const d = await ctx.driver();
    const reply = replyTo(await d.send({ channel: '/unconnected', data: 1, id: 'u1' }), 'u1');
    expect(reply.channel).toBe('/unconnected');
    expect(typeof reply.successful).toBe('boolean');
    if (!reply.successful) expect(reply.error).toMatch(ERROR);
  });

  it('disconnect releases the held connect, then the client is unknown', async () => {
    const s = await ctx.open();
    // The held connect travels on its own connection (polling) or frame (websocket).
    const held = (await s.connectHeld(ctx.server())).pending;
    const released = timed(held);
    const { reply } = await s.call({ channel: '/meta/disconnect' });
    expect(reply).toMatchObject({ channel: '/meta/disconnect', successful: true });
    if (ctx.transport === 'websocket' && ctx.profile.wsClosedInsteadOfReleasingConnect) {
      await expect(released).rejects.toBeInstanceOf(SocketClosedError);
    } else {
      const { value, ms } = await released;
      expect(ms).toBeLessThan(1000);
      expect(value.reply.channel).toBe('/meta/connect');
    }
    const after = await s.probe(ctx.server());
    expect(after).toMatchObject({ channel: '/meta/connect', successful: false });
    expect(after.error).toMatch(ctx.profile.unknownClient.error);
    expect(after.advice).toEqual(ctx.profile.unknownClient.advice);
    // Forgotten for every message, not only connects.
    const d = await ctx.driver();
    const subscribe = replyTo(
      await d.send({ channel: '/meta/subscribe', clientId: s.clientId, subscription: '/x', id: 'gone' }),
      'gone',
    );
    expect(subscribe.successful).toBe(false);
    expect(subscribe.error).toMatch(ctx.profile.unknownClient.error);
  });

  it('expires a session that stops connecting, then it is unknown', async () => {
    const server = await ctx.restart(ctx.profile.expiry);
    const expired = server.nextEvent('disconnect');
    const s = await Session.open(server, ctx.transport);
    try {
      await within(expired, 3000, `'disconnect' event for a session idle past maxInterval`);
      const after = await s.probe(server);
      expect(after.successful).toBe(false);
      expect(after.error).toMatch(ctx.profile.unknownClient.error);
      expect(after.advice).toEqual(ctx.profile.unknownClient.advice);
    } finally {
      await s.close();
    }
  });
});
