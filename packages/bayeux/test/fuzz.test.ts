// Property tests (DESIGN.md layer 7): bounded fast-check runs over the parsers and the matcher.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expand, isValidChannel, isValidPattern, matches } from '../src/channel.js';
import { parseError } from '../src/errors.js';
import { parseBatch, validateBatch, validateMessage } from '../src/validate.js';

const RUNS = { numRuns: 300, seed: 20261124 };

const segment = fc.stringMatching(/^[A-Za-z0-9\-_!~()$@. #+{}=]{1,6}$/);
const channel = fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => `/${s.join('/')}`);

describe('channel properties', () => {
  it('built names are valid; every expanded key is a valid pattern matching the channel', () => {
    fc.assert(
      fc.property(channel, (ch) => {
        expect(isValidChannel(ch)).toBe(true);
        const keys = expand(ch);
        expect(keys).toHaveLength(ch.split('/').length + 1);
        for (const key of keys) {
          expect(isValidPattern(key)).toBe(true);
          expect(matches(key, ch)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('matches(pattern, channel) holds exactly when expand(channel) lists the pattern', () => {
    const pattern = fc
      .tuple(fc.array(segment, { minLength: 0, maxLength: 4 }), fc.constantFrom('', '*', '**'))
      .filter(([segs, wild]) => segs.length > 0 || wild !== '')
      .map(([segs, wild]) => `/${[...segs, ...(wild === '' ? [] : [wild])].join('/')}`);
    // Draw channels that share prefixes with the pattern often enough to make matches interesting.
    const pair = fc
      .tuple(pattern, channel)
      .chain(([p, ch]) =>
        fc.constantFrom<[string, string]>(
          [p, ch],
          [p, p.replace(/\/\*\*?$/, '') + ch],
          [p, p.replace(/\/\*\*?$/, '/x')],
        ),
      );
    fc.assert(
      fc.property(pair, ([p, ch]) => {
        if (!isValidChannel(ch)) return;
        expect(expand(ch).includes(p)).toBe(matches(p, ch));
      }),
      RUNS,
    );
  });
});

describe('parser robustness', () => {
  it('parseBatch never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const r = parseBatch(text);
        expect(typeof r.ok).toBe('boolean');
      }),
      RUNS,
    );
  });

  it('validateMessage never throws; accepted messages have a valid concrete channel', () => {
    const shaped = fc.record(
      {
        channel: fc.oneof(
          channel,
          fc.constantFrom('/meta/handshake', '/meta/connect', '/meta/subscribe'),
          fc.anything(),
        ),
        id: fc.oneof(fc.string({ maxLength: 8 }), fc.anything()),
        clientId: fc.oneof(fc.string({ maxLength: 8 }), fc.anything()),
        data: fc.jsonValue(),
        subscription: fc.oneof(channel, fc.array(fc.anything(), { maxLength: 3 })),
        ext: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(shaped, fc.anything()), (raw) => {
        const check = validateMessage(raw);
        if (check.ok) expect(isValidChannel(check.message.channel)).toBe(true);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 5 }), (json) => {
        const r = validateBatch(json);
        expect(r.ok).toBe(true);
      }),
      RUNS,
    );
  });

  it('parseError never throws and round-trips what it accepts', () => {
    const wireish = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc
        .tuple(
          fc.integer({ min: 100, max: 999 }),
          fc.stringMatching(/^[^:]{0,10}$/),
          fc.string({ maxLength: 20 }),
        )
        .map(([c, a, m]) => `${c}:${a}:${m}`),
    );
    fc.assert(
      fc.property(wireish, (s) => {
        const err = parseError(s);
        if (err !== undefined) expect(err.toString()).toBe(s);
      }),
      RUNS,
    );
  });
});
