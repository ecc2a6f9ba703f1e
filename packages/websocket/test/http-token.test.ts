import { describe, expect, it } from 'vitest';
import { isToken } from '../src/http-token.js';

describe('isToken', () => {
  it('accepts tchar strings only', () => {
    expect(isToken('permessage-deflate')).toBe(true);
    expect(isToken('15')).toBe(true);
    expect(isToken('')).toBe(false);
    expect(isToken('a b')).toBe(false);
    expect(isToken('a"')).toBe(false);
    expect(isToken('é')).toBe(false);
  });
});

describe('isToken as the subprotocol grammar (RFC 6455 4.1 item 10)', () => {
  it('accepts every tchar and nothing else in ASCII', () => {
    const tchars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (let c = 0; c < 128; c++) {
      const ch = String.fromCharCode(c);
      expect(isToken(ch)).toBe(tchars.includes(ch));
    }
  });
});
