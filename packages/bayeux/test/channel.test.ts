import { describe, expect, it } from 'vitest';
import {
  channelDepth,
  DEFAULT_MAX_CHANNEL_LENGTH,
  DEFAULT_MAX_CHANNEL_SEGMENTS,
  expand,
  isBroadcastChannel,
  isKnownMetaChannel,
  isMetaChannel,
  isServiceChannel,
  isTooDeep,
  isValidChannel,
  isValidPattern,
  isWildcard,
  META_CHANNELS,
  matches,
} from '../src/channel.js';

describe('isValidChannel', () => {
  it.each([
    ['/foo', true],
    ['/foo/bar', true],
    ['/foo-bar/(foobar)', true],
    ['/a/b_c/!~$@', true],
    ['/meta/handshake', true],
    ['/service/echo', true],
    ['/chat/room.1', true],
    ['/topic/Foo=id', true],
    ['/news/{category}', true],
    ['/', false],
    ['', false],
    ['foo', false],
    ['foo/bar', false],
    ['/foo/', false],
    ['/foo//bar', false],
    ['//foo', false],
    ['/foo/*', false],
    ['/foo/**', false],
    ['/*', false],
    ['/foo*', false],
    ['/foo:bar', false],
    ['/foo,bar', false],
    ['/foo\nbar', false],
    ['/foo\u0000', false],
    ['/caf\u00e9', false],
  ])('%j -> %s', (name, ok) => {
    expect(isValidChannel(name)).toBe(ok);
  });

  it('rejects non-strings', () => {
    for (const v of [undefined, null, 1, {}, ['/foo']]) expect(isValidChannel(v)).toBe(false);
  });

  it('strict grammar is the Bayeux BNF: no dot, space, braces or equals', () => {
    const strict = { grammar: 'strict' } as const;
    expect(isValidChannel('/foo-bar/(foobar)', strict)).toBe(true);
    for (const name of ['/a.b', '/a b', '/{x}', '/a=b', '/a#b', '/a+b']) {
      expect(isValidChannel(name, strict)).toBe(false);
      expect(isValidChannel(name)).toBe(true);
    }
  });

  it('maxLength is crossed by one', () => {
    const atLimit = '/' + 'a'.repeat(DEFAULT_MAX_CHANNEL_LENGTH - 1);
    expect(isValidChannel(atLimit)).toBe(true);
    expect(isValidChannel(atLimit + 'a')).toBe(false);
    expect(isValidChannel('/abcd', { maxLength: 5 })).toBe(true);
    expect(isValidChannel('/abcde', { maxLength: 5 })).toBe(false);
    expect(isValidPattern('/ab/*', { maxLength: 5 })).toBe(true);
    expect(isValidPattern('/ab/**', { maxLength: 5 })).toBe(false);
  });
});

describe('channel depth (maxSegments)', () => {
  const deep = (n: number): string => '/a'.repeat(n);

  it('counts segments; the default limit is crossed by one', () => {
    expect(channelDepth('/a/b/c')).toBe(3);
    expect(channelDepth('/a/**')).toBe(2);
    expect(DEFAULT_MAX_CHANNEL_SEGMENTS).toBe(32);
    expect(isValidChannel(deep(32))).toBe(true);
    expect(isValidChannel(deep(33))).toBe(false);
    expect(isTooDeep(deep(33))).toBe(true);
    expect(isValidPattern(`${deep(31)}/**`)).toBe(true);
    expect(isValidPattern(`${deep(32)}/**`)).toBe(false);
  });

  it('maxSegments is an option, crossed by one', () => {
    expect(isValidChannel('/a/b', { maxSegments: 2 })).toBe(true);
    expect(isValidChannel('/a/b/c', { maxSegments: 2 })).toBe(false);
    expect(isValidPattern('/a/*', { maxSegments: 2 })).toBe(true);
    expect(isValidPattern('/a/b/*', { maxSegments: 2 })).toBe(false);
    expect(isTooDeep('/a/b/c', { maxSegments: 2 })).toBe(true);
    expect(isValidChannel(deep(40), { maxSegments: Number.POSITIVE_INFINITY })).toBe(true);
  });
});

describe('isValidPattern', () => {
  it.each([
    ['/foo', true],
    ['/foo/*', true],
    ['/foo/**', true],
    ['/*', true],
    ['/**', true],
    ['/meta/*', true],
    ['/service/**', true],
    ['/foo/*/bar', false],
    ['/foo/**/bar', false],
    ['/**/foo', false],
    ['/foo/***', false],
    ['/foo*', false],
    ['/foo/b*', false],
    ['/foo//*', false],
    ['/foo//bar', false],
    ['/*/*', false],
    ['*', false],
    ['/', false],
  ])('%j -> %s', (pattern, ok) => {
    expect(isValidPattern(pattern)).toBe(ok);
  });

  it('isWildcard', () => {
    expect(isWildcard('/foo/*')).toBe(true);
    expect(isWildcard('/foo/**')).toBe(true);
    expect(isWildcard('/**')).toBe(true);
    expect(isWildcard('/foo')).toBe(false);
  });
});

describe('the one-pass grammar check against the split-and-regex definition', () => {
  // The definition the scanner replaced (issue 13): split on "/", one regular expression per segment.
  const SEGMENT = { strict: /^[A-Za-z0-9\-_!~()$@]+$/, lenient: /^[A-Za-z0-9\-_!~()$@. #+{}=]+$/ };
  type Opts = { grammar?: 'strict' | 'lenient'; maxLength?: number; maxSegments?: number };
  function reference(name: string, opts: Opts, wildcard: boolean): boolean {
    if (name.length < 2 || name.length > (opts.maxLength ?? DEFAULT_MAX_CHANNEL_LENGTH) || name[0] !== '/')
      return false;
    if (channelDepth(name) > (opts.maxSegments ?? DEFAULT_MAX_CHANNEL_SEGMENTS)) return false;
    const segments = name.slice(1).split('/');
    const re = SEGMENT[opts.grammar ?? 'lenient'];
    return segments.every(
      (seg, i) => (wildcard && i === segments.length - 1 && (seg === '*' || seg === '**')) || re.test(seg),
    );
  }
  // Seeded (mulberry32): the same names every run; every class of character, "/" and "*" often.
  let seed = 20261203;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const alphabet = [
    '/',
    '/',
    '/',
    '*',
    '*',
    'a',
    'Z',
    '9',
    '-',
    '_',
    '!',
    '~',
    '(',
    '$',
    '@',
    '.',
    ' ',
    '#',
    '+',
    '{',
    '}',
    '=',
    ':',
    ',',
    '\n',
    '\u00e9',
    '\ud83d',
    '%',
    '?',
  ];
  const names: string[] = ['/', '//', '/a/', '/*', '/**', '/***', '/a/*', '/a/**', '/*/a', '/a*', '/a/b*'];
  for (let n = 0; n < 5000; n++) {
    const length = 1 + Math.floor(random() * 9);
    let name = random() < 0.9 ? '/' : '';
    for (let i = 0; i < length; i++) name += alphabet[Math.floor(random() * alphabet.length)];
    names.push(name);
  }
  const optionSets: Opts[] = [
    {},
    { grammar: 'strict' },
    { maxSegments: 2 },
    { maxLength: 4, grammar: 'strict' },
  ];

  it('agrees on every name, for channels and patterns, under each grammar and limit', () => {
    let valid = 0;
    for (const opts of optionSets) {
      for (const name of names) {
        expect([name, opts, isValidChannel(name, opts)]).toEqual([name, opts, reference(name, opts, false)]);
        expect([name, opts, isValidPattern(name, opts)]).toEqual([name, opts, reference(name, opts, true)]);
        if (isValidPattern(name, opts)) valid++;
      }
    }
    // The draw is not trivial: both answers occur often.
    expect(valid).toBeGreaterThan(1000);
    expect(valid).toBeLessThan(optionSets.length * names.length - 1000);
  });
});

describe('channel classes', () => {
  it('META_CHANNELS holds exactly the five', () => {
    expect([...META_CHANNELS].sort()).toEqual([
      '/meta/connect',
      '/meta/disconnect',
      '/meta/handshake',
      '/meta/subscribe',
      '/meta/unsubscribe',
    ]);
  });

  it('meta routing is exact, not by prefix (CVE-2020-11020)', () => {
    expect(isKnownMetaChannel('/meta/subscribe')).toBe(true);
    expect(isKnownMetaChannel('/meta/subscribe/x')).toBe(false);
    expect(isKnownMetaChannel('/meta/foo')).toBe(false);
    expect(isKnownMetaChannel('/meta/')).toBe(false);
    expect(isMetaChannel('/meta/subscribe/x')).toBe(true);
    expect(isMetaChannel('/meta/*')).toBe(true);
    expect(isMetaChannel('/metadata')).toBe(false);
    expect(isMetaChannel('/meta')).toBe(false);
  });

  it('service and broadcast', () => {
    expect(isServiceChannel('/service/echo')).toBe(true);
    expect(isServiceChannel('/service/**')).toBe(true);
    expect(isServiceChannel('/services/x')).toBe(false);
    expect(isBroadcastChannel('/chat/x')).toBe(true);
    expect(isBroadcastChannel('/service/echo')).toBe(false);
    expect(isBroadcastChannel('/meta/connect')).toBe(false);
  });
});

describe('matches (Bayeux 2.2.1)', () => {
  it.each([
    ['/foo/*', '/foo/bar', true],
    ['/foo/*', '/foo/boo', true],
    ['/foo/*', '/foo', false],
    ['/foo/*', '/foobar', false],
    ['/foo/*', '/foo/bar/boo', false],
    ['/foo/*', '/foo/bar/baz', false],
    ['/foo/**', '/foo/bar', true],
    ['/foo/**', '/foo/boo', true],
    ['/foo/**', '/foo/bar/boo', true],
    ['/foo/**', '/foo/bar/baz', true],
    ['/foo/**', '/foo', false],
    ['/foo/**', '/foobar', false],
    ['/foo/**', '/foobar/boo', false],
    ['/**', '/a', true],
    ['/**', '/a/b/c/d', true],
    ['/**', '/meta/connect', true],
    ['/*', '/a', true],
    ['/*', '/a/b', false],
    ['/foo/bar', '/foo/bar', true],
    ['/foo/bar', '/foo/bar/baz', false],
    ['/foo/bar', '/foo', false],
    ['/a/b/*', '/a/b/c', true],
    ['/a/b/*', '/a/bc/d', false],
  ])('%s vs %s -> %s', (pattern, channel, ok) => {
    expect(matches(pattern, channel)).toBe(ok);
  });
});

describe('expand', () => {
  it('lists every matching key, most specific first', () => {
    expect(expand('/a/b/c')).toEqual(['/a/b/c', '/a/b/*', '/a/b/**', '/a/**', '/**']);
    expect(expand('/a')).toEqual(['/a', '/*', '/**']);
    expect(expand('/a/b')).toEqual(['/a/b', '/a/*', '/a/**', '/**']);
  });

  it('agrees with matches() on a table of patterns and channels', () => {
    const patterns = [
      '/a',
      '/a/b',
      '/a/b/c',
      '/*',
      '/**',
      '/a/*',
      '/a/**',
      '/a/b/*',
      '/a/b/**',
      '/b/**',
      '/ab/*',
    ];
    const channels = ['/a', '/b', '/ab', '/a/b', '/a/bc', '/ab/c', '/a/b/c', '/a/b/c/d', '/b/a'];
    for (const channel of channels) {
      const keys = new Set(expand(channel));
      for (const pattern of patterns)
        expect(keys.has(pattern), `${pattern} vs ${channel}`).toBe(matches(pattern, channel));
      for (const key of keys) expect(isValidPattern(key), key).toBe(true);
    }
  });

  it('is O(depth): depth + 2 keys', () => {
    const channel = '/x'.repeat(40);
    expect(expand(channel)).toHaveLength(42);
  });
});
