import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  connectedClient,
  HANDSHAKE,
  type Harness,
  handshake,
  post,
  startServer,
  until,
} from './helpers/http.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('long-polling: handshake (Bayeux §4.1)', () => {
  it('answers with version, the intersection of connection types in server order, a client id and advice', async () => {
    h = await startServer({ timeout: 5000, interval: 7 });
    const res = await post(h.url, [
      {
        ...HANDSHAKE,
        supportedConnectionTypes: ['eventsource', 'callback-polling', 'long-polling', 'websocket'],
      },
    ]);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-store');
    expect(res.messages).toHaveLength(1);
    const reply = res.messages[0]!;
    expect(reply).toMatchObject({
      channel: '/meta/handshake',
      version: '1.0',
      successful: true,
      id: '1',
      supportedConnectionTypes: ['websocket', 'long-polling', 'callback-polling'],
      advice: { reconnect: 'retry', interval: 7, timeout: 5000 },
    });
    expect(reply.clientId).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(res.headers.get('set-cookie')).toMatch(
      /^BAYEUX_BROWSER=[A-Za-z0-9_-]{16,}; Path=\/; HttpOnly; SameSite=Lax$/,
    );
  });

  it('fails when no connection type is shared, naming ours', async () => {
    h = await startServer({ transports: ['long-polling'] });
    const { messages } = await post(h.url, [
      { ...HANDSHAKE, supportedConnectionTypes: ['websocket', 'flash'] },
    ]);
    expect(messages[0]).toMatchObject({
      channel: '/meta/handshake',
      successful: false,
      id: '1',
      error: '301:long-polling:connection_types_not_supported',
      supportedConnectionTypes: ['long-polling'],
    });
    expect(messages[0]!.clientId).toBeUndefined();
  });

  it('requires version and supportedConnectionTypes', async () => {
    h = await startServer();
    const a = await post(h.url, [
      { channel: '/meta/handshake', supportedConnectionTypes: ['long-polling'], id: '2' },
    ]);
    expect(a.messages[0]).toMatchObject({ successful: false, id: '2', error: '400:version:field_missing' });
    const b = await post(h.url, [{ channel: '/meta/handshake', version: '1.0', id: '3' }]);
    expect(b.messages[0]).toMatchObject({
      successful: false,
      error: '400:supportedConnectionTypes:field_missing',
    });
  });

  it('refuses a client whose minimumVersion is above 1.0', async () => {
    h = await startServer();
    const { messages } = await post(h.url, [{ ...HANDSHAKE, version: '2.0', minimumVersion: '2.0' }]);
    expect(messages[0]).toMatchObject({ successful: false, error: '300:1.0:version_mismatch' });
  });

  it('travels alone: other messages in the same request are ignored', async () => {
    h = await startServer();
    const { messages } = await post(h.url, [
      { channel: '/meta/subscribe', clientId: 'nobody', subscription: '/a', id: '9' },
      { ...HANDSHAKE },
      { channel: '/a', data: 1, id: '10' },
    ]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ channel: '/meta/handshake', successful: true });
  });

  it('gives unique client ids', async () => {
    h = await startServer();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await handshake(h.url)).clientId);
    expect(ids.size).toBe(20);
  });
});

describe('long-polling: connect (Bayeux §4.2)', () => {
  it('answers the first connect at once, with advice', async () => {
    h = await startServer({ timeout: 30_000, interval: 5 });
    const { clientId } = await handshake(h.url);
    const { messages } = await post(h.url, [connect(clientId, '2')]);
    expect(messages).toEqual([
      {
        channel: '/meta/connect',
        id: '2',
        clientId,
        successful: true,
        advice: { reconnect: 'retry', interval: 5, timeout: 30_000 },
      },
    ]);
  });

  it('holds a later connect until timeout', async () => {
    h = await startServer({ timeout: 150 });
    const clientId = await connectedClient(h.url);
    const started = Date.now();
    const { messages } = await post(h.url, [connect(clientId)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(messages).toEqual([
      {
        channel: '/meta/connect',
        id: 'c1',
        clientId,
        successful: true,
        advice: { reconnect: 'retry', interval: 0, timeout: 150 },
      },
    ]);
  });

  it('answers at once when the client advises timeout 0 (short polling)', async () => {
    h = await startServer({ timeout: 30_000 });
    const clientId = await connectedClient(h.url);
    const { messages } = await post(h.url, [
      connect(clientId, 'c2', { advice: { timeout: 0, interval: 1000 } }),
    ]);
    expect(messages[0]).toMatchObject({ successful: true, advice: { interval: 1000, timeout: 30_000 } });
    expect(h.bayeux.heldConnects).toBe(0);
  });

  it("honours the client's interval up to half of maxInterval (a longer one would expire it between polls)", async () => {
    h = await startServer({ maxInterval: 10_000 });
    const clientId = await connectedClient(h.url);
    const ok = await post(h.url, [connect(clientId, 'a', { advice: { timeout: 0, interval: 5000 } })]);
    expect(ok.messages[0]?.advice).toMatchObject({ interval: 5000 });
    const capped = await post(h.url, [connect(clientId, 'b', { advice: { timeout: 0, interval: 5001 } })]);
    expect(capped.messages[0]?.advice).toMatchObject({ interval: 5000 });
  });

  it('releases a held connect when a message is queued; the message rides the reply without clientId or id', async () => {
    h = await startServer({ timeout: 30_000 });
    const sub = await connectedClient(h.url);
    await post(h.url, [{ channel: '/meta/subscribe', clientId: sub, subscription: '/chat/*', id: 's' }]);
    const held = post(h.url, [connect(sub)]);
    await until(() => h!.bayeux.heldConnects === 1, 'connect held');
    const pub = (await handshake(h.url)).clientId;
    const ack = await post(h.url, [{ channel: '/chat/room', data: { text: 'hi' }, clientId: pub, id: '77' }]);
    expect(ack.messages).toEqual([{ channel: '/chat/room', id: '77', successful: true }]);
    const { messages } = await held;
    expect(messages).toEqual([
      { channel: '/chat/room', data: { text: 'hi' } },
      {
        channel: '/meta/connect',
        id: 'c1',
        clientId: sub,
        successful: true,
        advice: { reconnect: 'retry', interval: 0, timeout: 30_000 },
      },
    ]);
  });

  it('answers at once when other messages share the request, and what they cause rides the reply', async () => {
    h = await startServer({ timeout: 30_000 });
    const c = await connectedClient(h.url);
    const { messages } = await post(h.url, [
      { channel: '/meta/subscribe', clientId: c, subscription: '/echo', id: 's1' },
      connect(c, 'c5'),
      { channel: '/echo', clientId: c, data: 'me', id: 'p1' },
    ]);
    expect(messages.map((m) => [m.channel, m.id])).toEqual([
      ['/meta/subscribe', 's1'],
      ['/echo', 'p1'],
      ['/echo', undefined],
      ['/meta/connect', 'c5'],
    ]);
  });

  it('a newer connect releases the held one at once', async () => {
    h = await startServer({ timeout: 30_000 });
    const c = await connectedClient(h.url);
    const first = post(h.url, [connect(c, 'old')]);
    await until(() => h!.bayeux.heldConnects === 1, 'first connect held');
    const second = post(h.url, [connect(c, 'new')]);
    const old = await first;
    expect(old.messages).toEqual([
      expect.objectContaining({ channel: '/meta/connect', id: 'old', successful: true }),
    ]);
    await until(() => h!.bayeux.heldConnects === 1, 'second connect held');
    await h.bayeux.publish('/x', 1); // nobody subscribed: nothing released
    expect(h.bayeux.heldConnects).toBe(1);
    await post(h.url, [{ channel: '/meta/disconnect', clientId: c, id: 'd' }]);
    expect((await second).messages[0]).toMatchObject({ id: 'new', advice: { reconnect: 'none' } });
  });

  it('requires connectionType', async () => {
    h = await startServer();
    const { clientId } = await handshake(h.url);
    const { messages } = await post(h.url, [{ channel: '/meta/connect', clientId, id: '5' }]);
    expect(messages[0]).toMatchObject({
      successful: false,
      id: '5',
      error: '400:connectionType:field_missing',
    });
  });

  it('keeps a client alive while its connect is held longer than maxInterval', async () => {
    h = await startServer({ timeout: 600, maxInterval: 500 });
    const c = await connectedClient(h.url);
    const pingsBefore = h.engine.pings.filter((p) => p === c).length;
    await post(h.url, [connect(c)]);
    expect(h.engine.pings.filter((p) => p === c).length).toBeGreaterThan(pingsBefore + 1);
  });
});

describe('unknown clients get 402::session_unknown with handshake advice on every reply type', () => {
  it.each([
    ['/meta/connect', { connectionType: 'long-polling' }],
    ['/meta/subscribe', { subscription: '/a' }],
    ['/meta/unsubscribe', { subscription: '/a' }],
    ['/meta/disconnect', {}],
    ['/some/channel', { data: 1 }],
  ])('%s', async (channel, extra) => {
    h = await startServer();
    const { messages } = await post(h.url, [{ channel, clientId: 'nosuchclient', id: '4', ...extra }]);
    expect(messages[0]).toMatchObject({
      channel,
      id: '4',
      successful: false,
      error: '402::session_unknown',
      advice: { reconnect: 'handshake', interval: 0 },
    });
  });

  it('a publish without clientId too', async () => {
    h = await startServer();
    const { messages } = await post(h.url, [{ channel: '/a', data: 1, id: '4' }]);
    expect(messages[0]).toMatchObject({ successful: false, error: '402::session_unknown' });
  });
});

describe('disconnect (Bayeux §4.4)', () => {
  it('releases the held connect with reconnect none and forgets the client', async () => {
    h = await startServer({ timeout: 30_000 });
    const c = await connectedClient(h.url);
    const events: string[] = [];
    h.bayeux.on('disconnect', (e) => events.push(`${e.clientId}:${e.reason}`));
    const held = post(h.url, [connect(c)]);
    await until(() => h!.bayeux.heldConnects === 1, 'held');
    const { messages } = await post(h.url, [{ channel: '/meta/disconnect', clientId: c, id: 'd1' }]);
    expect(messages).toEqual([{ channel: '/meta/disconnect', id: 'd1', clientId: c, successful: true }]);
    expect((await held).messages).toEqual([
      { channel: '/meta/connect', id: 'c1', successful: true, advice: { reconnect: 'none', interval: -1 } },
    ]);
    expect(events).toEqual([`${c}:disconnect`]);
    const later = await post(h.url, [connect(c, 'c9')]);
    expect(later.messages[0]).toMatchObject({
      error: '402::session_unknown',
      advice: { reconnect: 'handshake' },
    });
  });

  it('an expired client held nothing; its next connect gets 402', async () => {
    h = await startServer();
    const c = await connectedClient(h.url);
    await h.engine.expire(c);
    const { messages } = await post(h.url, [connect(c)]);
    expect(messages[0]).toMatchObject({
      error: '402::session_unknown',
      advice: { reconnect: 'handshake', interval: 0 },
    });
  });
});
