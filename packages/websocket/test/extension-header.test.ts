import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WebSocketError } from '../src/errors.js';
import {
  type ExtensionParams,
  formatExtensions,
  hasDuplicateParams,
  parseExtensions,
} from '../src/extension-header.js';

function parsed(header: string): Record<string, ExtensionParams[]> {
  return Object.fromEntries(parseExtensions(header));
}

describe('parseExtensions', () => {
  const valid: Array<[string, Record<string, ExtensionParams[]>]> = [
    ['foo', { foo: [{}] }],
    ['permessage-deflate', { 'permessage-deflate': [{}] }],
    [
      'permessage-deflate; client_max_window_bits',
      { 'permessage-deflate': [{ client_max_window_bits: true }] },
    ],
    [
      'permessage-deflate;client_max_window_bits=10;server_no_context_takeover',
      { 'permessage-deflate': [{ client_max_window_bits: '10', server_no_context_takeover: true }] },
    ],
    // RFC 7692 5.2 example: two offers of the same extension, in preference order
    [
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits',
      {
        'permessage-deflate': [
          { client_max_window_bits: true, server_max_window_bits: '10' },
          { client_max_window_bits: true },
        ],
      },
    ],
    ['foo, bar; baz=2', { foo: [{}], bar: [{ baz: '2' }] }],
    // RFC 6455 9.1: quoted-string values, unescaped, must be tokens
    ['foo; bar="10"', { foo: [{ bar: '10' }] }],
    ['foo; bar="a\\bc"', { foo: [{ bar: 'abc' }] }],
    ['foo; bar="\\1\\0"', { foo: [{ bar: '10' }] }],
    // OWS around separators and BWS around "=" (RFC 7230 3.2.3)
    [' \tfoo \t; \tbar \t= \t1 \t, \tbaz\t ', { foo: [{ bar: '1' }], baz: [{}] }],
    // RFC 7230 7: empty list elements are ignored
    [', foo,, ,bar,', { foo: [{}], bar: [{}] }],
    // Token characters other than letters and digits
    ["x-!#$%&'*+.^_`|~; a-b.c=!x~", { "x-!#$%&'*+.^_`|~": [{ 'a-b.c': '!x~' }] }],
    // Names are kept as sent: matching is the extension's business
    ['Permessage-Deflate; A=1', { 'Permessage-Deflate': [{ A: '1' }] }],
  ];
  for (const [header, expected] of valid) {
    it(`parses ${JSON.stringify(header)}`, () => {
      expect(parsed(header)).toEqual(expected);
    });
  }

  const invalid: Array<[string, RegExp]> = [
    ['', /at least one extension/],
    [' , ,', /at least one extension/],
    ['foo;', /parameter name/],
    ['foo; ;bar', /parameter name/],
    ['foo bar', /";" or ","/],
    ['foo; a b', /";" or ","/],
    ['foo; a=', /parameter value/],
    ['foo; a=,', /parameter value/],
    ['foo; =1', /parameter name/],
    ['foo; a="1', /closing quote/],
    ['foo; a="1\\', /escaped character/],
    ['foo; a=""', /non-empty quoted value/],
    ['foo; a="1 2"', /token character in quoted value/],
    ['foo; a="1\\ 2"', /token character in quoted value/],
    ['foo; a="1"2', /";" or ","/],
    ['foo; a=1"', /";" or ","/],
    ['"foo"', /extension token/],
    ['fo(o)', /";" or ","/],
    ['foo; a=b/c', /";" or ","/],
    ['foo; a=@', /parameter value/],
    ['föo', /";" or ","/],
    ['foo;\r\n a=1', /parameter name/],
    [';foo', /extension token/],
    ['foo=1', /";" or ","/],
  ];
  for (const [header, message] of invalid) {
    it(`refuses ${JSON.stringify(header)}`, () => {
      let error: unknown;
      try {
        parseExtensions(header);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(WebSocketError);
      expect((error as WebSocketError).code).toBe('WS_ERR_INVALID_EXTENSION');
      expect((error as WebSocketError).closeCode).toBe(1002);
      expect((error as WebSocketError).message).toMatch(message);
    });
  }

  it('reports the index of the offending character', () => {
    expect(() => parseExtensions('foo; a=1 b')).toThrow(/character "b" at index 9/);
  });

  it('keeps the first value of a repeated parameter and marks only that offer', () => {
    const map = parseExtensions('permessage-deflate; a=1; a=2, permessage-deflate; a=3, other; x; x');
    const [first, second] = map.get('permessage-deflate')!;
    expect(first).toEqual({ a: '1' });
    expect(hasDuplicateParams(first!)).toBe(true);
    expect(hasDuplicateParams(second!)).toBe(false);
    expect(hasDuplicateParams(map.get('other')![0]!)).toBe(true);
  });

  it('gives each offer its own params object without a prototype trap', () => {
    const params = parseExtensions('foo; __proto__=1; constructor').get('foo')![0]!;
    expect(Object.keys(params)).toEqual(['__proto__', 'constructor']);
    expect(params.constructor).toBe(true);
    expect(hasDuplicateParams(params)).toBe(false);
  });
});

describe('formatExtensions', () => {
  it('formats single and multiple offers', () => {
    expect(formatExtensions({ foo: {} })).toBe('foo');
    expect(
      formatExtensions({
        'permessage-deflate': [{ client_max_window_bits: true, server_max_window_bits: '10' }, {}],
        bar: { baz: '1' },
      }),
    ).toBe(
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate, bar; baz=1',
    );
  });

  it('round-trips through parseExtensions', () => {
    const exts: Record<string, ExtensionParams[]> = {
      'permessage-deflate': [
        { server_no_context_takeover: true, client_max_window_bits: '9' },
        { client_max_window_bits: true },
      ],
      other: [{ a: 'b' }],
    };
    expect(parsed(formatExtensions(exts))).toEqual(exts);
  });

  const refused: Array<[Record<string, ExtensionParams | ExtensionParams[]>, RegExp]> = [
    [{ '': {} }, /extension name/],
    [{ 'a b': {} }, /extension name/],
    [{ foo: { 'a;b': true } }, /parameter name/],
    [{ foo: { a: '' } }, /value "" for parameter a/],
    [{ foo: { a: '1\r\nX-Injected: 1' } }, /value/],
    [{ foo: { a: 'x y' } }, /value/],
  ];
  for (const [exts, message] of refused) {
    it(`refuses ${JSON.stringify(exts)}`, () => {
      expect(() => formatExtensions(exts)).toThrow(WebSocketError);
      expect(() => formatExtensions(exts)).toThrow(message);
    });
  }
});

describe('properties (seeded, bounded)', () => {
  const tchars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('');
  const token = fc.array(fc.constantFrom(...tchars), { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
  const params = fc.dictionary(token, fc.oneof(fc.constant(true as const), token), { maxKeys: 4 });
  const exts = fc.dictionary(token, fc.array(params, { minLength: 1, maxLength: 3 }), {
    minKeys: 1,
    maxKeys: 3,
  });

  it('parse(format(x)) gives x back', () => {
    fc.assert(
      fc.property(exts, (x) => {
        expect(parsed(formatExtensions(x))).toEqual(x);
      }),
      { numRuns: 500, seed: 6455 },
    );
  });

  it('any input either parses or throws WS_ERR_INVALID_EXTENSION, never anything else', () => {
    const alphabet = fc.constantFrom(...'ab=;, \t"\\\r\n(é1'.split(''));
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 40 }).map((a) => a.join('')),
        (header) => {
          try {
            const map = parseExtensions(header);
            expect(map.size).toBeGreaterThan(0);
          } catch (err) {
            expect(err).toBeInstanceOf(WebSocketError);
            expect((err as WebSocketError).code).toBe('WS_ERR_INVALID_EXTENSION');
          }
        },
      ),
      { numRuns: 2000, seed: 6455 },
    );
  });
});
