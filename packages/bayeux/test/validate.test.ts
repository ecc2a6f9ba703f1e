import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VALIDATION_LIMITS,
  failureReply,
  type MessageCheck,
  overflowReplies,
  parseBatch,
  subscriptionList,
  validateBatch,
  validateMessage,
} from '../src/validate.js';

const hs = {
  channel: '/meta/handshake',
  version: '1.0',
  supportedConnectionTypes: ['long-polling'],
  id: '1',
};

function errorOf(check: MessageCheck): string | undefined {
  return check.ok ? undefined : check.error.toString();
}

describe('validateMessage: accepted', () => {
  it.each([
    [hs],
    [{ ...hs, minimumVersion: '1.0', ext: { a: 1 }, advice: { timeout: 0, interval: 0 } }],
    [{ channel: '/meta/connect', clientId: 'abc123', connectionType: 'long-polling', id: '2' }],
    [{ channel: '/meta/connect', connectionType: 'websocket' }],
    [{ channel: '/meta/disconnect', clientId: 'abc' }],
    [{ channel: '/meta/subscribe', clientId: 'abc', subscription: '/foo/**' }],
    [{ channel: '/meta/subscribe', clientId: 'abc', subscription: ['/foo', '/bar/*', '/meta/*'] }],
    [{ channel: '/meta/unsubscribe', clientId: 'abc', subscription: '/foo' }],
    [{ channel: '/chat/room.1', clientId: 'abc', data: { text: 'hi' }, id: 'a_b-9' }],
    [{ channel: '/chat/x', data: null }],
    [{ channel: '/service/echo', data: 'x', custom: 1 }],
  ])('%j', (raw) => {
    const check = validateMessage(structuredClone(raw));
    expect(check.ok).toBe(true);
    if (check.ok) expect(check.message).toEqual(raw);
  });

  it('removes ext: null and advice: null', () => {
    const check = validateMessage({ channel: '/a', data: 1, ext: null, advice: null });
    expect(check.ok && check.message).toEqual({ channel: '/a', data: 1 });
  });
});

describe('validateMessage: rejected', () => {
  it.each([
    [null, '400::bad_request'],
    [[], '400::bad_request'],
    ['x', '400::bad_request'],
    [{ data: 1 }, '400::channel_missing'],
    [{ channel: 5, data: 1 }, '405::channel_invalid'],
    [{ channel: 'foo', data: 1 }, '405::channel_invalid'],
    [{ channel: '/foo//bar', data: 1 }, '405::channel_invalid'],
    [{ channel: '/foo/*', data: 1 }, '405::channel_invalid'],
    [{ channel: '/foo/**', data: 1 }, '405::channel_invalid'],
    [{ channel: '/meta/subscribe/x', clientId: 'a', subscription: '/x' }, '405::channel_invalid'],
    [{ channel: '/meta/foo', clientId: 'a' }, '405::channel_invalid'],
    [{ channel: '/meta/', clientId: 'a' }, '405::channel_invalid'],
    [{ channel: '/a', data: 1, id: 7 }, '405::message_id_invalid'],
    [{ channel: '/a', data: 1, id: '' }, '405::message_id_invalid'],
    [{ channel: '/a', data: 1, id: 'a b' }, '405::message_id_invalid'],
    [
      { channel: '/a', data: 1, id: 'x'.repeat(DEFAULT_VALIDATION_LIMITS.maxIdLength + 1) },
      '405::message_id_invalid',
    ],
    [{ channel: '/a', data: 1, clientId: 12 }, '400:clientId:field_invalid'],
    [{ channel: '/a', data: 1, clientId: 'a:b' }, '400:clientId:field_invalid'],
    [{ channel: '/a', data: 1, ext: [] }, '400:ext:field_invalid'],
    [{ channel: '/a', data: 1, ext: 'x' }, '400:ext:field_invalid'],
    [{ channel: '/a', data: 1, advice: 3 }, '400:advice:field_invalid'],
    [{ ...hs, advice: { timeout: '0' } }, '400:advice:field_invalid'],
    [{ channel: '/a' }, '400:data:field_missing'],
    [{ channel: '/service/echo', id: '1' }, '400:data:field_missing'],
    [{ channel: '/meta/handshake', supportedConnectionTypes: ['long-polling'] }, '400:version:field_missing'],
    [{ ...hs, version: 1 }, '400:version:field_invalid'],
    [{ ...hs, version: 'one' }, '400:version:field_invalid'],
    [{ ...hs, minimumVersion: '' }, '400:minimumVersion:field_invalid'],
    [{ channel: '/meta/handshake', version: '1.0' }, '400:supportedConnectionTypes:field_missing'],
    [{ ...hs, supportedConnectionTypes: 'long-polling' }, '400:supportedConnectionTypes:field_invalid'],
    [{ ...hs, supportedConnectionTypes: [1] }, '400:supportedConnectionTypes:field_invalid'],
    [{ channel: '/meta/connect', clientId: 'a' }, '400:connectionType:field_missing'],
    [{ channel: '/meta/connect', clientId: 'a', connectionType: 1 }, '400:connectionType:field_invalid'],
    [{ channel: '/meta/subscribe', clientId: 'a' }, '403::subscription_missing'],
    [{ channel: '/meta/subscribe', clientId: 'a', subscription: [] }, '403::subscription_missing'],
    [{ channel: '/meta/subscribe', clientId: 'a', subscription: '/foo/*/bar' }, '403::subscription_invalid'],
    [{ channel: '/meta/subscribe', clientId: 'a', subscription: '/foo/**/bar' }, '403::subscription_invalid'],
    [{ channel: '/meta/subscribe', clientId: 'a', subscription: ['/ok', 5] }, '403::subscription_invalid'],
    [{ channel: '/meta/unsubscribe', clientId: 'a', subscription: '/a//b' }, '403::subscription_invalid'],
  ])('%j -> %s', (raw, wire) => {
    expect(errorOf(validateMessage(raw))).toBe(wire);
  });

  it('limits are crossed by one', () => {
    const subs = (n: number) => ({
      channel: '/meta/subscribe',
      clientId: 'a',
      subscription: Array.from({ length: n }, (_, i) => `/c/${i}`),
    });
    const max = DEFAULT_VALIDATION_LIMITS.maxSubscriptionsPerMessage;
    expect(validateMessage(subs(max)).ok).toBe(true);
    expect(errorOf(validateMessage(subs(max + 1)))).toBe(`403:${max}:subscriptions_exceeded`);
    expect(errorOf(validateMessage(subs(3), { maxSubscriptionsPerMessage: 2 }))).toBe(
      '403:2:subscriptions_exceeded',
    );

    expect(validateMessage({ channel: '/a', data: 1, id: 'abc' }, { maxIdLength: 3 }).ok).toBe(true);
    expect(validateMessage({ channel: '/a', data: 1, id: 'abcd' }, { maxIdLength: 3 }).ok).toBe(false);
    expect(validateMessage({ channel: '/a', data: 1, clientId: 'abc' }, { maxClientIdLength: 3 }).ok).toBe(
      true,
    );
    expect(validateMessage({ channel: '/a', data: 1, clientId: 'abcd' }, { maxClientIdLength: 3 }).ok).toBe(
      false,
    );

    const types = (n: number) => ({
      ...hs,
      supportedConnectionTypes: Array.from({ length: n }, (_, i) => `t${i}`),
    });
    expect(validateMessage(types(2), { maxConnectionTypes: 2 }).ok).toBe(true);
    expect(validateMessage(types(3), { maxConnectionTypes: 2 }).ok).toBe(false);

    expect(validateMessage({ channel: '/abc', data: 1 }, { channel: { maxLength: 4 } }).ok).toBe(true);
    expect(validateMessage({ channel: '/abcd', data: 1 }, { channel: { maxLength: 4 } }).ok).toBe(false);
  });

  it('an id and a clientId are 1 or more of A-Z a-z 0-9 _ - (each neighbour of the ranges refused)', () => {
    const ok = 'AZaz09_-';
    expect(validateMessage({ channel: '/a', data: 1, id: ok, clientId: ok }).ok).toBe(true);
    // The characters just outside each range, and a few others.
    for (const bad of ['@', '[', '`', '{', '/', ':', '.', '+', '=', ' ', '\u00e9', '\u0000']) {
      expect(errorOf(validateMessage({ channel: '/a', data: 1, id: `a${bad}` }))).toBe(
        '405::message_id_invalid',
      );
      expect(errorOf(validateMessage({ channel: '/a', data: 1, clientId: `${bad}a` }))).toBe(
        '400:clientId:field_invalid',
      );
    }
  });

  it('strict grammar refuses dotted names', () => {
    expect(validateMessage({ channel: '/a.b', data: 1 }, { channel: { grammar: 'strict' } }).ok).toBe(false);
    expect(validateMessage({ channel: '/a.b', data: 1 }).ok).toBe(true);
  });
});

describe('failureReply', () => {
  it('echoes channel and a valid id', () => {
    const check = validateMessage({ channel: '/a', id: '42' });
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(failureReply(check)).toEqual({
        channel: '/a',
        id: '42',
        successful: false,
        error: '400:data:field_missing',
      });
    }
  });

  it('echoes subscription on subscribe failures (Bayeux 4.5)', () => {
    const check = validateMessage({
      channel: '/meta/subscribe',
      clientId: 'a',
      id: '3',
      subscription: '/x/*/y',
    });
    expect(!check.ok && failureReply(check)).toEqual({
      channel: '/meta/subscribe',
      id: '3',
      subscription: '/x/*/y',
      successful: false,
      error: '403::subscription_invalid',
    });
  });

  it('does not echo an invalid id, a missing channel, or a huge channel', () => {
    const badId = validateMessage({ channel: '/a', data: 1, id: { x: 1 } });
    expect(!badId.ok && failureReply(badId)).toEqual({
      channel: '/a',
      successful: false,
      error: '405::message_id_invalid',
    });
    const noChannel = validateMessage({ data: 1, id: '9' });
    expect(!noChannel.ok && failureReply(noChannel)).toEqual({
      channel: '/meta/unsuccessful',
      id: '9',
      successful: false,
      error: '400::channel_missing',
    });
    const huge = validateMessage({ channel: '/' + 'a'.repeat(5000), data: 1 });
    expect(!huge.ok && failureReply(huge).channel).toBe('/meta/unsuccessful');
  });
});

describe('validateBatch / parseBatch', () => {
  it('accepts an array or a single object (Bayeux 2.5)', () => {
    const a = parseBatch(JSON.stringify([hs]));
    expect(a.ok && a.items.map((i) => i.ok)).toEqual([true]);
    const b = parseBatch(JSON.stringify(hs));
    expect(b.ok && b.items.map((i) => i.ok)).toEqual([true]);
    const empty = parseBatch('[]');
    expect(empty.ok && empty.items).toEqual([]);
  });

  it('per-message failures do not fail the batch', () => {
    const r = parseBatch(JSON.stringify([{ channel: '/a', data: 1 }, { channel: '/a' }, 5]));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.items.map(errorOf)).toEqual([undefined, '400:data:field_missing', '400::bad_request']);
  });

  it.each([
    ['{', 'invalid_json'],
    ['', 'invalid_json'],
    ['5', 'not_object'],
    ['"x"', 'not_object'],
    ['null', 'not_object'],
    ['true', 'not_object'],
  ])('%j fails the batch with %s', (text, reason) => {
    const r = parseBatch(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.detail.length).toBeGreaterThan(0);
    }
  });

  it('maxMessages is crossed by one: the messages past it get their own too_many_messages error', () => {
    const batch = (n: number) =>
      JSON.stringify(Array.from({ length: n }, (_, i) => ({ channel: '/a', data: 1, id: String(i) })));
    const max = DEFAULT_VALIDATION_LIMITS.maxMessages;
    expect(max).toBe(10_000);
    const atMax = parseBatch(batch(max));
    expect(atMax.ok && atMax.items.every((i) => i.ok)).toBe(true);
    const over = parseBatch(batch(max + 1));
    expect(over.ok).toBe(true);
    if (over.ok) {
      expect(over.items.filter((i) => !i.ok)).toHaveLength(1);
      expect(errorOf(over.items[max] as MessageCheck)).toBe('400:10000:too_many_messages');
      expect(failureReply(over.items[max] as Extract<MessageCheck, { ok: false }>)).toEqual({
        channel: '/a',
        id: String(max),
        successful: false,
        error: '400:10000:too_many_messages',
      });
    }
    const two = parseBatch(batch(3), { maxMessages: 2 });
    expect(two.ok && two.items.map(errorOf)).toEqual([undefined, undefined, '400:2:too_many_messages']);
    const v = validateBatch([{}, {}, {}], { maxMessages: 2 });
    expect(v.ok && v.items.map(errorOf)).toEqual([
      '400::channel_missing',
      '400::channel_missing',
      '400:2:too_many_messages',
    ]);
  });

  it('overflowReplies: one reply per matchable message, one shared reply for the rest', () => {
    const replies = overflowReplies([{ channel: '/x', id: 'a' }, {}, 7, { id: 'b' }, {}], 5);
    expect(replies).toEqual([
      { channel: '/x', id: 'a', successful: false, error: '400:5:too_many_messages' },
      { channel: '/meta/unsuccessful', id: 'b', successful: false, error: '400:5:too_many_messages' },
      { channel: '/meta/unsuccessful', successful: false, error: '400:5:too_many_messages' },
    ]);
    expect(overflowReplies([], 5)).toEqual([]);
    // At most `max` individual replies: the rest share the one reply.
    const many = overflowReplies(
      Array.from({ length: 4 }, (_, i) => ({ channel: '/x', id: String(i) })),
      2,
    );
    expect(many.map((r) => [r.channel, r.id])).toEqual([
      ['/x', '0'],
      ['/x', '1'],
      ['/meta/unsuccessful', undefined],
    ]);
  });

  it('several form values (Bayeux 6.1) are merged and counted together', () => {
    const one = JSON.stringify({ channel: '/a', data: 1 });
    const two = JSON.stringify([
      { channel: '/b', data: 2 },
      { channel: '/c', data: 3 },
    ]);
    const r = parseBatch([one, two]);
    expect(r.ok && r.items.map((i) => i.ok && i.message.channel)).toEqual(['/a', '/b', '/c']);
    const counted = parseBatch([one, two], { maxMessages: 2 });
    expect(counted.ok && counted.items.map(errorOf)).toEqual([
      undefined,
      undefined,
      '400:2:too_many_messages',
    ]);
    expect(parseBatch([one, '7']).ok).toBe(false);
    expect(parseBatch([one, 'nope']).ok).toBe(false);
  });

  it('validateBatch refuses scalars', () => {
    expect(validateBatch(3).ok).toBe(false);
    expect(validateBatch(null).ok).toBe(false);
    expect(validateBatch({ channel: '/a', data: 1 }).ok).toBe(true);
  });

  it('subscriptionList', () => {
    expect(subscriptionList({ channel: '/meta/subscribe', subscription: '/a' })).toEqual(['/a']);
    expect(subscriptionList({ channel: '/meta/subscribe', subscription: ['/a', '/b'] })).toEqual([
      '/a',
      '/b',
    ]);
    expect(subscriptionList({ channel: '/meta/subscribe' })).toEqual([]);
  });
});

describe('channel depth', () => {
  const deep = (n: number): string => '/a'.repeat(n);

  it('a publish or subscription past maxSegments is 400:<max>:channel_too_deep (the default is 32)', () => {
    expect(validateMessage({ channel: deep(32), data: 1 }).ok).toBe(true);
    expect(errorOf(validateMessage({ channel: deep(33), data: 1 }))).toBe('400:32:channel_too_deep');
    const limits = { channel: { maxSegments: 3 } };
    expect(validateMessage({ channel: deep(3), data: 1 }, limits).ok).toBe(true);
    expect(errorOf(validateMessage({ channel: deep(4), data: 1, id: 'x' }, limits))).toBe(
      '400:3:channel_too_deep',
    );
    const sub = (s: string) => ({ channel: '/meta/subscribe', clientId: 'c1', subscription: s });
    expect(validateMessage(sub('/a/b/*'), limits).ok).toBe(true);
    expect(errorOf(validateMessage(sub('/a/b/c/*'), limits))).toBe('400:3:channel_too_deep');
  });

  it('the refusal echoes channel and id so a client can route it', () => {
    const check = validateMessage({ channel: deep(33), data: 1, id: 'p' });
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(failureReply(check)).toEqual({
        channel: deep(33),
        id: 'p',
        successful: false,
        error: '400:32:channel_too_deep',
      });
    }
  });
});
