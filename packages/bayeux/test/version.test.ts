import { describe, expect, it } from 'vitest';
import { compareVersions, isValidVersion, MAX_VERSION_LENGTH } from '../src/version.js';

describe('versions (Bayeux 2.3)', () => {
  it.each([
    ['1.0', true],
    ['1', true],
    ['1.0beta', true],
    ['2.1.rc-1', true],
    ['1.', false],
    ['.1', false],
    ['a.1', false],
    ['1..0', false],
    ['', false],
    [1, false],
  ])('isValidVersion(%j) = %s', (v, ok) => {
    expect(isValidVersion(v)).toBe(ok);
  });

  it('caps the length', () => {
    expect(isValidVersion('1'.repeat(MAX_VERSION_LENGTH))).toBe(true);
    expect(isValidVersion('1'.repeat(MAX_VERSION_LENGTH + 1))).toBe(false);
  });

  it.each([
    ['1.0', '1.0', 0],
    ['1.0', '1.1', -1],
    ['1.10', '1.9', 1],
    ['2', '1.9', 1],
    ['1.0', '1.0.1', -1],
    ['1.0b', '1.0a', 1],
    ['1.01', '1.1', 0],
  ])('compare(%s, %s) has sign %d', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
});
