import { describe, expect, it } from 'vitest';
import {
  decodeClosePayload,
  encodeClosePayload,
  isValidCloseCode,
  truncateReason,
} from '../src/close-payload.js';
import { WebSocketError } from '../src/errors.js';

describe('close codes (RFC 6455 7.4)', () => {
  it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999])(
    '%i is valid on the wire',
    (code) => expect(isValidCloseCode(code)).toBe(true),
  );
  it.each([0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])(
    '%i is never on the wire',
    (code) => expect(isValidCloseCode(code)).toBe(false),
  );
});

describe('encodeClosePayload', () => {
  it('is empty without a code', () => expect(encodeClosePayload().length).toBe(0));
  it('encodes code and reason', () => {
    expect(encodeClosePayload(1000, 'bye').toString('hex')).toBe('03e8627965');
  });
  it('refuses 1005/1006 and too long reasons', () => {
    expect(() => encodeClosePayload(1005)).toThrow(WebSocketError);
    expect(() => encodeClosePayload(1006)).toThrow(WebSocketError);
    expect(encodeClosePayload(1000, 'x'.repeat(123)).length).toBe(125);
    expect(() => encodeClosePayload(1000, 'x'.repeat(124))).toThrow(/123/);
  });
  it('truncates reasons on a code point boundary', () => {
    const r = truncateReason('é'.repeat(100));
    expect(Buffer.byteLength(r)).toBe(122);
    expect(truncateReason('short')).toBe('short');
  });
});

describe('decodeClosePayload (RFC 6455 5.5.1)', () => {
  const hex = (h: string) => Buffer.from(h, 'hex');
  it('reads code and reason; an empty body is 1005', () => {
    expect(decodeClosePayload(hex('03e8627965'))).toEqual({ code: 1000, reason: Buffer.from('bye') });
    expect(decodeClosePayload(hex(''))).toEqual({ code: 1005, reason: Buffer.alloc(0) });
  });
  it.each([
    ['03', 'WS_ERR_INVALID_CLOSE_PAYLOAD', 1002],
    ['03ee', 'WS_ERR_INVALID_CLOSE_CODE', 1002],
    ['0bb7', 'WS_ERR_INVALID_CLOSE_CODE', 1002],
    ['03e8eda080', 'WS_ERR_INVALID_UTF8', 1007],
  ])('refuses %s', (body, code, closeCode) => {
    const result = decodeClosePayload(hex(body));
    expect(result).toBeInstanceOf(WebSocketError);
    expect([(result as WebSocketError).code, (result as WebSocketError).closeCode]).toEqual([
      code,
      closeCode,
    ]);
  });
});
