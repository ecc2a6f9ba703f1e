import { afterEach, describe, expect, it } from 'vitest';
import { AuthorizerRegistry, type AuthorizerRequest, overlaps } from '../src/authorizers.js';
import { type Harness, handshake, post, startServer } from './helpers/http.js';

describe('overlaps (some channel matches both)', () => {
  it.each([
    ['/a', '/a', true],
    ['/a', '/b', false],
    ['/a/*', '/a/b', true],
    ['/a/*', '/a/b/c', false],
    ['/a/**', '/a/b/c', true],
    ['/a/**', '/a', false],
    ['/**', '/x/y', true],
    ['/a/*', '/a/b/*', false],
    ['/a/**', '/a/b/*', true],
    ['/a/*', '/a/*', true],
    ['/a/*', '/a/**', true],
    ['/a/b/**', '/a/c/**', false],
    ['/a/b/*', '/**', true],
    ['/a/b/*', '/a/*', false],
  ])('%s vs %s -> %s', (a, b, expected) => {
    expect(overlaps(a, b)).toBe(expected);
    expect(overlaps(b, a)).toBe(expected);
  });
});

const req = (channel: string, operation: 'subscribe' | 'publish' = 'publish'): AuthorizerRequest => ({
  operation,
  clientId: 'c',
  channel,
  message: { channel },
  ctx: { transport: 'long-polling' },
});

describe('AuthorizerRegistry (CometD algorithm)', () => {
  it('grants when none applies; denies when none grants; any deny wins', async () => {
    const r = new AuthorizerRegistry();
    expect(await r.check(req('/x'))).toBeUndefined();
    r.add('/chat/**', () => 'ignore');
    expect(await r.check(req('/chat/a'))).toBe('denied_by_not_granting');
    expect(await r.check(req('/other'))).toBeUndefined();
    r.add('/chat/*', async () => 'grant' as const);
    expect(await r.check(req('/chat/a'))).toBeUndefined();
    r.add('/chat/secret', (q) => (q.operation === 'subscribe' ? 'deny' : 'ignore'));
    expect(await r.check(req('/chat/secret', 'subscribe'))).toBe('denied_by_authorizer');
    expect(await r.check(req('/chat/secret', 'publish'))).toBeUndefined();
  });

  it('a wildcard subscription meets the authorizers of the channels it covers', async () => {
    const r = new AuthorizerRegistry();
    r.add('/chat/secret', (q) => (q.operation === 'subscribe' ? 'deny' : 'grant'));
    expect(await r.check(req('/chat/**', 'subscribe'))).toBe('denied_by_authorizer');
    expect(await r.check(req('/chat/*', 'subscribe'))).toBe('denied_by_authorizer');
    expect(await r.check(req('/**', 'subscribe'))).toBe('denied_by_authorizer');
    expect(await r.check(req('/news/*', 'subscribe'))).toBeUndefined();
  });

  it('remove() takes one authorizer off; invalid patterns are refused', () => {
    const r = new AuthorizerRegistry();
    const a = () => 'grant' as const;
    r.add('/a', a);
    expect(r.remove('/a', a)).toBe(true);
    expect(r.size).toBe(0);
    expect(r.remove('/a', a)).toBe(false);
    expect(() => r.add('/a/*/b', a)).toThrow(TypeError);
  });
});

describe('authorizers over the wire', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('refuse subscribe and publish with the reason as args', async () => {
    h = await startServer();
    h.bayeux.addAuthorizer('/vip/**', (q) => (q.message.ext?.vip === true ? 'grant' : 'ignore'));
    h.bayeux.addAuthorizer('/vip/lounge', (q) => (q.operation === 'publish' ? 'deny' : 'ignore'));
    const { clientId } = await handshake(h.url);
    const { messages } = await post(h.url, [
      { channel: '/meta/subscribe', clientId, subscription: '/vip/*', id: '1' },
      { channel: '/meta/subscribe', clientId, subscription: '/vip/*', id: '2', ext: { vip: true } },
      { channel: '/vip/lounge', clientId, data: 1, id: '3', ext: { vip: true } },
      { channel: '/vip/bar', clientId, data: 1, id: '4', ext: { vip: true } },
      { channel: '/**', clientId, data: 1, id: '5' },
    ]);
    expect(messages.map((m) => [m.id, m.error ?? m.successful])).toEqual([
      ['1', '403:denied_by_not_granting:subscribe_denied'],
      ['2', true],
      ['3', '403:denied_by_authorizer:publish_denied'],
      ['4', true],
      ['5', '405::channel_invalid'],
    ]);
  });
});
