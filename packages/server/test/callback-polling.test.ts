import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonpBody } from '../src/transports/callback-polling.js';
import { HANDSHAKE, type Harness, startServer, until } from './helpers/http.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function jsonp(
  url: string,
  messages: unknown,
  callback?: string,
): Promise<{ status: number; headers: Headers; text: string; messages: Message[] }> {
  const q = new URLSearchParams({ message: JSON.stringify(messages) });
  if (callback !== undefined) q.set('jsonp', callback);
  const res = await fetch(`${url}?${q}`);
  const text = await res.text();
  const m = /^\/\*\*\/([\w$.]+)\(([\s\S]*)\);$/.exec(text);
  return {
    status: res.status,
    headers: res.headers,
    text,
    messages: m ? (JSON.parse(m[2]!) as Message[]) : [],
  };
}

const CP = { ...HANDSHAKE, supportedConnectionTypes: ['callback-polling'] };

describe('callback-polling (JSON-P)', () => {
  it('wraps the reply as /**/name(json); with hardened headers', async () => {
    h = await startServer();
    const res = await jsonp(h.url, [CP], 'cb.handle_1$');
    expect(res.status).toBe(200);
    expect(res.text.startsWith('/**/cb.handle_1$([{')).toBe(true);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-store');
    expect(res.messages[0]).toMatchObject({
      channel: '/meta/handshake',
      successful: true,
      supportedConnectionTypes: ['callback-polling'],
    });
  });

  it('uses jsonpcallback by default', async () => {
    h = await startServer();
    const res = await jsonp(h.url, [CP]);
    expect(res.text.startsWith('/**/jsonpcallback([')).toBe(true);
  });

  it.each([['alert(1)'], ['a..b'], ['1abc'], ['a-b'], ['a.'], ['']])(
    'refuses the callback %j with 400',
    async (cb) => {
      h = await startServer();
      const res = await jsonp(h.url, [CP], cb);
      expect(res.status).toBe(400);
      expect(res.text).toBe('invalid jsonp callback name\n');
    },
  );

  it('maxJsonpCallbackLength: the limit is accepted, one more character is 400', async () => {
    h = await startServer({ maxJsonpCallbackLength: 10 });
    expect((await jsonp(h.url, [CP], 'a'.repeat(10))).status).toBe(200);
    expect((await jsonp(h.url, [CP], 'a'.repeat(11))).status).toBe(400);
  });

  it('maxMessageSize applies to the message parameter (413 past it)', async () => {
    h = await startServer({ maxMessageSize: 300 });
    const base = JSON.stringify([{ ...CP, pad: '' }]).length;
    expect((await jsonp(h.url, [{ ...CP, pad: 'x'.repeat(300 - base) }])).status).toBe(200);
    expect((await jsonp(h.url, [{ ...CP, pad: 'x'.repeat(301 - base) }])).status).toBe(413);
  });

  it('maxMessagesPerRequest counts every message= value together; the one past it gets its own error', async () => {
    h = await startServer({ maxMessagesPerRequest: 2 });
    const hs = await jsonp(h.url, [CP]);
    const clientId = hs.messages[0]?.clientId as string;
    const pub = (id: string) => ({ channel: '/service/x', clientId, data: 1, id });
    const q = new URLSearchParams();
    q.append('message', JSON.stringify([pub('a'), pub('b')]));
    q.append('message', JSON.stringify(pub('c')));
    const res = await fetch(`${h.url}?${q}`);
    expect(res.status).toBe(200);
    const body = /^\/\*\*\/jsonpcallback\(([\s\S]*)\);$/.exec(await res.text());
    const messages = JSON.parse(body?.[1] ?? '[]') as Message[];
    expect(messages.map((m) => [m.id, m.successful, m.error])).toEqual([
      ['a', true, undefined],
      ['b', true, undefined],
      ['c', false, '400:2:too_many_messages'],
    ]);
  });

  it('escapes U+2028 and U+2029', () => {
    expect(jsonpBody('f', '["a\u2028b\u2029c"]')).toBe('/**/f(["a\\u2028b\\u2029c"]);');
  });

  it('escapes U+2028 in delivered data end to end', async () => {
    h = await startServer({ timeout: 30_000 });
    const hs = await jsonp(h.url, [CP]);
    const clientId = hs.messages[0]!.clientId as string;
    await jsonp(h.url, [
      { channel: '/meta/connect', clientId, connectionType: 'callback-polling', id: 'c0' },
    ]);
    await jsonp(h.url, [{ channel: '/meta/subscribe', clientId, subscription: '/t', id: 's' }]);
    const held = jsonp(h.url, [
      { channel: '/meta/connect', clientId, connectionType: 'callback-polling', id: 'c1' },
    ]);
    await until(() => h!.bayeux.heldConnects === 1, 'held');
    await h.bayeux.publish('/t', 'line\u2028sep');
    const res = await held;
    expect(res.text).toContain('line\\u2028sep');
    expect(res.text).not.toContain('\u2028');
    expect(res.messages[0]).toEqual({ channel: '/t', data: 'line\u2028sep' });
  });

  it('every meta handler and publish work over JSON-P', async () => {
    h = await startServer({ timeout: 30_000 });
    const clientId = (await jsonp(h.url, [CP])).messages[0]!.clientId as string;
    const cp = (id: string) => ({
      channel: '/meta/connect',
      clientId,
      connectionType: 'callback-polling',
      id,
    });
    expect((await jsonp(h.url, [cp('c0')])).messages[0]).toMatchObject({ successful: true, id: 'c0' });
    const sub = await jsonp(h.url, [
      { channel: '/meta/subscribe', clientId, subscription: ['/a', '/b'], id: 's' },
    ]);
    expect(sub.messages).toEqual([
      { channel: '/meta/subscribe', id: 's', clientId, successful: true, subscription: ['/a', '/b'] },
    ]);
    const unsub = await jsonp(h.url, [
      { channel: '/meta/unsubscribe', clientId, subscription: '/b', id: 'u' },
    ]);
    expect(unsub.messages).toEqual([
      { channel: '/meta/unsubscribe', id: 'u', clientId, successful: true, subscription: '/b' },
    ]);
    const pub = await jsonp(h.url, [
      { channel: '/a', clientId, data: 1, id: 'p1' },
      { channel: '/b', clientId, data: 2, id: 'p2' },
    ]);
    // Publish replies only: the delivery waits for the connect (callback-polling delivers in connect replies).
    expect(pub.messages.map((m) => [m.channel, m.id, m.successful])).toEqual([
      ['/a', 'p1', true],
      ['/b', 'p2', true],
    ]);
    const poll = await jsonp(h.url, [cp('c1')]);
    expect(poll.messages.map((m) => m.channel)).toEqual(['/a', '/meta/connect']);
    const held = jsonp(h.url, [cp('c2')]);
    await until(() => h!.bayeux.heldConnects === 1, 'held');
    const bye = await jsonp(h.url, [{ channel: '/meta/disconnect', clientId, id: 'd' }]);
    expect(bye.messages).toEqual([{ channel: '/meta/disconnect', id: 'd', clientId, successful: true }]);
    expect((await held).messages[0]).toMatchObject({ id: 'c2', advice: { reconnect: 'none' } });
  });

  it('malformed message parameter is 400', async () => {
    h = await startServer();
    const res = await fetch(`${h.url}?message=%5B%7B&jsonp=cb`);
    expect(res.status).toBe(400);
  });

  it('GET is refused when callback-polling is disabled', async () => {
    h = await startServer({ transports: ['long-polling'] });
    expect((await jsonp(h.url, [CP])).status).toBe(405);
  });
});
