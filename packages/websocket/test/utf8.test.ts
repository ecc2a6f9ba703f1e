import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Utf8Validator } from '../src/utf8.js';

const hex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex');

// Invalid sequences in the spirit of Autobahn group 6 (Markus Kuhn's UTF-8 decoder stress test).
const invalid: [string, string][] = [
  ['lone continuation 80', '80'],
  ['lone continuation BF', 'bf'],
  ['overlong 2-byte C0 80', 'c080'],
  ['overlong 2-byte C1 BF', 'c1bf'],
  ['overlong 3-byte E0 80 AF', 'e080af'],
  ['overlong 3-byte E0 9F BF', 'e09fbf'],
  ['overlong 4-byte F0 80 80 AF', 'f08080af'],
  ['overlong 4-byte F0 8F BF BF', 'f08fbfbf'],
  ['surrogate U+D800', 'eda080'],
  ['surrogate U+DFFF', 'edbfbf'],
  ['surrogate pair', 'eda080edb080'],
  ['above U+10FFFF (F4 90)', 'f4908080'],
  ['F5 lead', 'f5808080'],
  ['FE', 'fe'],
  ['FF', 'ff'],
  ['5-byte form', 'f888808080'],
  ['lead then ASCII', 'c341'],
  ['cut 3-byte then ASCII', 'e28241'],
  ['κόσμε then invalid (Autobahn 6.3.1)', 'cebae1bdb9cf83cebcceb5eda080656469746564'],
];

const valid: [string, string][] = [
  ['ASCII', '48656c6c6f'],
  ['κόσμε', 'cebae1bdb9cf83cebcceb5'],
  ['U+0080', 'c280'],
  ['U+07FF', 'dfbf'],
  ['U+0800', 'e0a080'],
  ['U+D7FF', 'ed9fbf'],
  ['U+E000', 'ee8080'],
  ['U+FFFF', 'efbfbf'],
  ['U+10000', 'f0908080'],
  ['U+10FFFF', 'f48fbfbf'],
  ['empty', ''],
];

describe('Utf8Validator', () => {
  it.each(invalid)('rejects %s', (_name, bytes) => {
    const v = new Utf8Validator();
    expect(v.write(hex(bytes)) && v.complete).toBe(false);
  });

  it.each(valid)('accepts %s', (_name, bytes) => {
    const v = new Utf8Validator();
    expect(v.write(hex(bytes))).toBe(true);
    expect(v.complete).toBe(true);
  });

  it.each(valid)('accepts %s fed one byte at a time', (_name, bytes) => {
    const v = new Utf8Validator();
    for (const b of hex(bytes)) expect(v.write(Buffer.of(b))).toBe(true);
    expect(v.complete).toBe(true);
  });

  it('fails on the first byte that breaks the sequence, not at the end', () => {
    const v = new Utf8Validator();
    expect(v.write(hex('cebae1bdb9cf83cebcceb5'))).toBe(true);
    expect(v.write(hex('ed'))).toBe(true); // could still be U+D000..U+D7FF
    expect(v.write(hex('a0'))).toBe(false); // surrogate: fail now
  });

  it('reports an incomplete code point at the end', () => {
    const v = new Utf8Validator();
    expect(v.write(hex('e282'))).toBe(true);
    expect(v.complete).toBe(false);
    expect(v.write(hex('ac'))).toBe(true);
    expect(v.complete).toBe(true);
  });

  it('agrees with the native check on every 2-byte input', () => {
    const buf = Buffer.alloc(2);
    const disagreements: string[] = [];
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        buf[0] = a;
        buf[1] = b;
        const v = new Utf8Validator();
        const ours = v.write(buf) && v.complete;
        if (ours !== Buffer.from(buf.toString('utf8')).equals(buf)) disagreements.push(buf.toString('hex'));
      }
    }
    expect(disagreements).toEqual([]);
  });

  it('agrees with the native check however long input is split (native fast path for long pieces)', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }).map((t) => Buffer.from(t)),
      fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 6 }),
        fc.array(fc.nat({ max: 3000 }), { maxLength: 4 }),
        (parts, cuts) => {
          const whole = Buffer.concat(parts);
          const points = [...new Set(cuts.filter((c) => c < whole.length))].sort((a, b) => a - b);
          const v = new Utf8Validator();
          let ok = true;
          let at = 0;
          for (const c of [...points, whole.length]) {
            ok = ok && v.write(whole, at, c);
            at = c;
          }
          expect(ok && v.complete).toBe(isUtf8(whole));
        },
      ),
      { numRuns: 3000, seed: 3629 },
    );
  });
});
