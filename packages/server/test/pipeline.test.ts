// Services, the extension pipeline, the security policy and the typed + diagnostics_channel events.
import diagnostics from 'node:diagnostics_channel';
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { DIAGNOSTICS_CHANNELS } from '../src/index.js';
import { connect, connectedClient, type Harness, handshake, post, startServer } from './helpers/http.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('services (Bayeux §2.2.3)', () => {
  it('answers on the same channel with the same id, never broadcasting', async () => {
    h = await startServer({ timeout: 30_000 });
    h.bayeux.addService('/service/echo', async (data, ctx) => ({ echo: data, from: ctx.clientId }));
    const watcher = await connectedClient(h.url);
    await post(h.url, [
      { channel: '/meta/subscribe', clientId: watcher, subscription: '/service/**', id: 's' },
    ]);
    expect(await h.engine.subscriptions(watcher)).toEqual([]);
    const { clientId } = await handshake(h.url);
    const { messages } = await post(h.url, [{ channel: '/service/echo', clientId, data: 'ping', id: '42' }]);
    expect(messages).toEqual([
      { channel: '/service/echo', id: '42', successful: true, data: { echo: 'ping', from: clientId } },
    ]);
    const poll = await post(h.url, [connect(watcher, 'c', { advice: { timeout: 0 } })]);
    expect(poll.messages.map((m) => m.channel)).toEqual(['/meta/connect']);
  });

  it('a throwing handler becomes an unsuccessful reply', async () => {
    h = await startServer();
    h.bayeux.addService('/service/boom', () => {
      throw new Error('no way');
    });
    const { clientId } = await handshake(h.url);
    const { messages } = await post(h.url, [{ channel: '/service/boom', clientId, data: 1, id: '7' }]);
    expect(messages[0]).toEqual({
      channel: '/service/boom',
      id: '7',
      successful: false,
      error: '500::service_failed',
      data: { message: 'no way' },
    });
  });

  it('a /service/ publish with no handler is acknowledged and goes nowhere', async () => {
    h = await startServer();
    const { clientId } = await handshake(h.url);
    const { messages } = await post(h.url, [{ channel: '/service/none', clientId, data: 1, id: '8' }]);
    expect(messages).toEqual([{ channel: '/service/none', id: '8', successful: true }]);
  });

  it('addService refuses non-service channels', () => {
    return startServer().then((s) => {
      h = s;
      expect(() => s.bayeux.addService('/chat', () => 1)).toThrow(/service/);
    });
  });
});

describe('extension pipeline', () => {
  it('runs incoming in registration order and outgoing in reverse, awaiting each', async () => {
    h = await startServer();
    const order: string[] = [];
    for (const name of ['A', 'B', 'C']) {
      h.bayeux.addExtension({
        async incoming(m) {
          await Promise.resolve();
          order.push(`in${name}`);
          return m;
        },
        outgoing(m) {
          order.push(`out${name}`);
          return m;
        },
      });
    }
    await handshake(h.url);
    expect(order).toEqual(['inA', 'inB', 'inC', 'outC', 'outB', 'outA']);
  });

  it('an incoming hook returning null drops the message: 404::message_deleted, later hooks not called', async () => {
    h = await startServer();
    const seen: string[] = [];
    h.bayeux.addExtension({ incoming: (m) => (m.channel === '/secret' ? null : m) });
    h.bayeux.addExtension({
      incoming: (m) => {
        seen.push(m.channel);
        return m;
      },
    });
    const { clientId } = await handshake(h.url);
    const { messages } = await post(h.url, [{ channel: '/secret', clientId, data: 1, id: 'x' }]);
    expect(messages[0]).toEqual({
      channel: '/secret',
      id: 'x',
      successful: false,
      error: '404::message_deleted',
    });
    expect(seen).toEqual(['/meta/handshake']);
  });

  it('extensions see and may change ext; outgoing gets the request of a reply', async () => {
    h = await startServer();
    h.bayeux.addExtension({
      outgoing(m, ctx) {
        if (m.channel === '/meta/handshake' && ctx.request?.ext?.token === 'ok') m.ext = { welcome: true };
        return m;
      },
    });
    const { messages } = await post(h.url, [
      {
        channel: '/meta/handshake',
        version: '1.0',
        supportedConnectionTypes: ['long-polling'],
        ext: { token: 'ok' },
      },
    ]);
    expect(messages[0]?.ext).toEqual({ welcome: true });
  });

  it('outgoing hooks run once on a broadcast (encode once), and may drop it', async () => {
    h = await startServer({ timeout: 30_000 });
    let calls = 0;
    h.bayeux.addExtension({
      outgoing(m) {
        if (m.channel === '/drop') return null;
        if (m.channel === '/room') {
          calls++;
          return { ...m, data: { wrapped: m.data } };
        }
        return m;
      },
    });
    const a = await connectedClient(h.url);
    const b = await connectedClient(h.url);
    for (const c of [a, b]) {
      await post(h.url, [
        { channel: '/meta/subscribe', clientId: c, subscription: ['/room', '/drop'], id: 's' },
      ]);
    }
    await h.bayeux.publish('/drop', 0);
    await h.bayeux.publish('/room', 1);
    expect(calls).toBe(1);
    for (const c of [a, b]) {
      const { messages } = await post(h.url, [connect(c, 'p', { advice: { timeout: 0 } })]);
      expect(messages[0]).toEqual({ channel: '/room', data: { wrapped: 1 } });
      expect(messages).toHaveLength(2);
    }
  });
});

describe('extension pipeline, skipped per direction when no hook is there', () => {
  it('hasIncoming / hasOutgoing follow add and remove, each direction on its own', async () => {
    const { ExtensionPipeline } = await import('../src/extensions.js');
    const pipeline = new ExtensionPipeline();
    expect([pipeline.hasIncoming, pipeline.hasOutgoing]).toEqual([false, false]);
    const out = { outgoing: (m: Message) => m };
    const inc = { incoming: (m: Message) => m };
    pipeline.add(out);
    expect([pipeline.hasIncoming, pipeline.hasOutgoing]).toEqual([false, true]);
    pipeline.add(inc);
    expect([pipeline.hasIncoming, pipeline.hasOutgoing]).toEqual([true, true]);
    pipeline.remove(out);
    expect([pipeline.hasIncoming, pipeline.hasOutgoing]).toEqual([true, false]);
    pipeline.remove(inc);
    expect([pipeline.hasIncoming, pipeline.hasOutgoing]).toEqual([false, false]);
  });

  it('an extension added while clients are connected runs on the next replies; removed, it no longer does', async () => {
    h = await startServer({ timeout: 30_000 });
    const clientId = await connectedClient(h.url);
    const seen: string[] = [];
    const ext = {
      incoming(m: Message) {
        seen.push(`in ${m.channel}`);
        return m;
      },
      outgoing(m: Message) {
        seen.push(`out ${m.channel}`);
        return { ...m, ext: { tagged: true } };
      },
    };
    h.bayeux.addExtension(ext);
    const { messages } = await post(h.url, [connect(clientId, 'p', { advice: { timeout: 0 } })]);
    expect(seen).toEqual(['in /meta/connect', 'out /meta/connect']);
    expect(messages[0]?.ext).toEqual({ tagged: true });
    h.bayeux.removeExtension(ext);
    const again = await post(h.url, [connect(clientId, 'q', { advice: { timeout: 0 } })]);
    expect(seen).toHaveLength(2);
    expect(again.messages[0]?.ext).toBeUndefined();
  });
});

describe('connect advice shared between connects', () => {
  it("an outgoing hook editing one connect reply's advice changes that reply only", async () => {
    h = await startServer({ timeout: 30_000 });
    const a = await connectedClient(h.url);
    const b = await connectedClient(h.url);
    h.bayeux.addExtension({
      outgoing(m) {
        if (m.channel === '/meta/connect' && m.clientId === a && m.advice) m.advice.interval = 999;
        return m;
      },
    });
    const ra = await post(h.url, [connect(a, 'a1', { advice: { timeout: 0 } })]);
    const rb = await post(h.url, [connect(b, 'b1', { advice: { timeout: 0 } })]);
    expect(ra.messages.at(-1)).toMatchObject({ successful: true, advice: { interval: 999 } });
    expect(rb.messages.at(-1)).toMatchObject({
      successful: true,
      advice: { reconnect: 'retry', interval: 0 },
    });
  });
});

describe('security policy', () => {
  it('canHandshake false: 403::handshake_denied with reconnect none', async () => {
    h = await startServer({ securityPolicy: { canHandshake: async (m) => m.ext?.key === 'k' } });
    const bad = await post(h.url, [
      { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] },
    ]);
    expect(bad.messages[0]).toMatchObject({
      successful: false,
      error: '403::handshake_denied',
      advice: { reconnect: 'none' },
    });
    const ok = await post(h.url, [
      {
        channel: '/meta/handshake',
        version: '1.0',
        supportedConnectionTypes: ['long-polling'],
        ext: { key: 'k' },
      },
    ]);
    expect(ok.messages[0]?.successful).toBe(true);
  });

  it('canSubscribe sees wildcard patterns as sent; an array is all-or-nothing', async () => {
    const asked: string[] = [];
    h = await startServer({
      securityPolicy: {
        canSubscribe: (_c, s) => {
          asked.push(s);
          return !s.startsWith('/private');
        },
      },
    });
    const { clientId } = await handshake(h.url);
    const { messages } = await post(h.url, [
      { channel: '/meta/subscribe', clientId, subscription: '/**', id: '1' },
      { channel: '/meta/subscribe', clientId, subscription: ['/ok', '/private/**'], id: '2' },
    ]);
    expect(messages.map((m) => m.error ?? m.successful)).toEqual([
      true,
      '403:denied_by_security_policy:subscribe_denied',
    ]);
    expect(messages[1]?.subscription).toEqual(['/ok', '/private/**']);
    expect(asked).toEqual(['/**', '/ok', '/private/**']);
    expect(await h.engine.subscriptions(clientId)).toEqual(['/**']);
  });

  it('remote clients may not subscribe to /meta/**', async () => {
    h = await startServer();
    const { clientId } = await handshake(h.url);
    const { messages } = await post(h.url, [
      { channel: '/meta/subscribe', clientId, subscription: '/meta/**', id: '1' },
      { channel: '/meta/subscribe', clientId, subscription: '/meta/connect', id: '2' },
    ]);
    expect(messages.map((m) => m.error)).toEqual([
      '403:meta_channel:subscribe_denied',
      '403:meta_channel:subscribe_denied',
    ]);
  });

  it('canPublish false: 403 publish_denied and nothing delivered', async () => {
    h = await startServer({ securityPolicy: { canPublish: (_c, ch) => ch !== '/ro' } });
    const c = await connectedClient(h.url);
    await post(h.url, [{ channel: '/meta/subscribe', clientId: c, subscription: '/ro', id: 's' }]);
    const { messages } = await post(h.url, [{ channel: '/ro', clientId: c, data: 1, id: 'p' }]);
    expect(messages[0]).toEqual({
      channel: '/ro',
      id: 'p',
      successful: false,
      error: '403:denied_by_security_policy:publish_denied',
    });
    expect(h.engine.clients.get(c)?.queue).toEqual([]);
  });
});

describe('events', () => {
  it("a remote publish's event reaches a diagnostics subscriber alone, then a listener alone", async () => {
    h = await startServer({ timeout: 30_000 });
    const { clientId } = await handshake(h.url);
    await post(h.url, [{ channel: '/meta/subscribe', clientId, subscription: '/a', id: '1' }]);
    const dc: unknown[] = [];
    const listener = (msg: unknown) => dc.push(msg);
    diagnostics.subscribe(DIAGNOSTICS_CHANNELS.publish, listener);
    try {
      await post(h.url, [{ channel: '/a', clientId, data: 1, id: '2' }]);
    } finally {
      diagnostics.unsubscribe(DIAGNOSTICS_CHANNELS.publish, listener);
    }
    expect(dc).toEqual([{ clientId, channel: '/a', data: 1 }]);
    const got: unknown[] = [];
    h.bayeux.on('publish', (e) => got.push(e));
    await post(h.url, [{ channel: '/a', clientId, data: 2, id: '3' }]);
    expect(got).toEqual([{ clientId, channel: '/a', data: 2 }]);
    expect(dc).toHaveLength(1);
  });

  it('emits typed events and publishes them on diagnostics channels', async () => {
    h = await startServer({ timeout: 30_000 });
    const got: string[] = [];
    h.bayeux.on('handshake', () => got.push('handshake'));
    h.bayeux.on('subscribe', (e) => got.push(`subscribe ${e.subscription}`));
    h.bayeux.on('unsubscribe', (e) => got.push(`unsubscribe ${e.subscription}`));
    h.bayeux.on('publish', (e) =>
      got.push(`publish ${e.channel} ${JSON.stringify(e.data)} ${e.clientId === undefined}`),
    );
    h.bayeux.on('disconnect', (e) => got.push(`disconnect ${e.reason}`));
    const dc: string[] = [];
    const listener = (_msg: unknown, name: string | symbol) => dc.push(String(name));
    for (const name of Object.values(DIAGNOSTICS_CHANNELS)) diagnostics.subscribe(name, listener);
    try {
      const { clientId } = await handshake(h.url);
      await post(h.url, [
        { channel: '/meta/subscribe', clientId, subscription: '/a', id: '1' },
        { channel: '/meta/subscribe', clientId, subscription: ['/a'], id: '1b' },
        { channel: '/a', clientId, data: 1, id: '2' },
        { channel: '/meta/unsubscribe', clientId, subscription: '/a', id: '3' },
      ]);
      await h.bayeux.publish('/b', 2);
      await post(h.url, [{ channel: '/meta/disconnect', clientId, id: '4' }]);
    } finally {
      for (const name of Object.values(DIAGNOSTICS_CHANNELS)) diagnostics.unsubscribe(name, listener);
    }
    expect(got).toEqual([
      'handshake',
      'subscribe /a',
      'publish /a 1 false',
      'unsubscribe /a',
      'publish /b 2 true',
      'disconnect disconnect',
    ]);
    expect(dc).toEqual([
      'pushwire:bayeux:handshake',
      'pushwire:bayeux:subscribe',
      'pushwire:bayeux:publish',
      'pushwire:bayeux:unsubscribe',
      'pushwire:bayeux:publish',
      'pushwire:bayeux:disconnect',
    ]);
  });

  it("reports internal failures on 'error' and answers 500::internal_error", async () => {
    h = await startServer();
    const errors: unknown[] = [];
    h.bayeux.on('error', (e) => errors.push(e.error));
    h.bayeux.addExtension({
      incoming: (m) => {
        if (m.channel === '/boom') throw new Error('hook bug');
        return m;
      },
    });
    const { messages } = await post(h.url, [{ channel: '/boom', clientId: 'x', data: 1, id: '1' }]);
    expect(messages[0]).toEqual({
      channel: '/boom',
      id: '1',
      successful: false,
      error: '500::internal_error',
    });
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('hook bug');
  });

  it('a throwing listener does not break the protocol', async () => {
    h = await startServer();
    h.bayeux.on('handshake', () => {
      throw new Error('listener bug');
    });
    await handshake(h.url);
  });
});

describe('server-side publish', () => {
  it('refuses meta, service and wildcard channels and undefined data', async () => {
    h = await startServer();
    await expect(h.bayeux.publish('/meta/connect', 1)).rejects.toThrow(TypeError);
    await expect(h.bayeux.publish('/service/x', 1)).rejects.toThrow(TypeError);
    await expect(h.bayeux.publish('/a/*', 1)).rejects.toThrow(TypeError);
    await expect(h.bayeux.publish('/a', undefined)).rejects.toThrow(TypeError);
  });

  it('resolves with the number of clients reached', async () => {
    h = await startServer();
    const a = await connectedClient(h.url);
    await post(h.url, [{ channel: '/meta/subscribe', clientId: a, subscription: '/n/*', id: '1' }]);
    expect(await h.bayeux.publish('/n/x', 1)).toBe(1);
    expect(await h.bayeux.publish('/other', 1)).toBe(0);
    const m: Message[] = (await post(h.url, [connect(a, 'z', { advice: { timeout: 0 } })])).messages;
    expect(m[0]).toEqual({ channel: '/n/x', data: 1 });
  });
});
