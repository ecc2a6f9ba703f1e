import { describe, expect, it } from 'vitest';
import { applyMask, encodeFrame, encodeFrameHeader, headerLength, OPCODE } from '../src/frame.js';

describe('encodeFrame', () => {
  it('encodes an unmasked text frame (RFC 6455 5.7 "Hello")', () => {
    expect(encodeFrame(OPCODE.TEXT, 'Hello').toString('hex')).toBe('810548656c6c6f');
  });

  it('encodes a masked text frame with the RFC 5.7 example key', () => {
    const frame = encodeFrame(OPCODE.TEXT, 'Hello', { mask: true, maskKey: Buffer.from('37fa213d', 'hex') });
    expect(frame.toString('hex')).toBe('818537fa213d7f9f4d5158');
  });

  it('encodes fragments (RFC 5.7: "Hel" then "lo")', () => {
    expect(encodeFrame(OPCODE.TEXT, 'Hel', { fin: false }).toString('hex')).toBe('010348656c');
    expect(encodeFrame(OPCODE.CONTINUATION, 'lo').toString('hex')).toBe('80026c6f');
  });

  it('encodes 16-bit and 64-bit lengths (RFC 5.7: 256 bytes and 64 KiB binary)', () => {
    expect(encodeFrame(OPCODE.BINARY, Buffer.alloc(256)).subarray(0, 4).toString('hex')).toBe('827e0100');
    expect(encodeFrame(OPCODE.BINARY, Buffer.alloc(65536)).subarray(0, 10).toString('hex')).toBe(
      '827f0000000000010000',
    );
    expect(encodeFrame(OPCODE.BINARY, Buffer.alloc(125)).subarray(0, 2).toString('hex')).toBe('827d');
    expect(encodeFrame(OPCODE.BINARY, Buffer.alloc(126)).subarray(0, 4).toString('hex')).toBe('827e007e');
    expect(encodeFrame(OPCODE.BINARY, Buffer.alloc(65535)).subarray(0, 4).toString('hex')).toBe('827effff');
  });

  it('sets RSV1 and writes control frames', () => {
    expect(encodeFrame(OPCODE.TEXT, Buffer.from('abc'), { rsv1: true }).toString('hex')).toBe('c103616263');
    expect(encodeFrame(OPCODE.PING, 'Hello').toString('hex')).toBe('890548656c6c6f');
    expect(encodeFrame(OPCODE.PONG, Buffer.alloc(0)).toString('hex')).toBe('8a00');
  });

  it('writes multi-byte UTF-8 strings with the byte length', () => {
    expect(encodeFrame(OPCODE.TEXT, 'é€').toString('hex')).toBe('8105c3a9e282ac');
  });

  it('draws a fresh random key per masked frame', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 3000; i++)
      keys.add(encodeFrame(OPCODE.TEXT, 'x', { mask: true }).subarray(2, 6).toString('hex'));
    expect(keys.size).toBeGreaterThan(2990);
    const frame = encodeFrame(OPCODE.BINARY, Buffer.from('0123456789'), { mask: true });
    applyMask(frame, 6, frame.length, frame, 2);
    expect(frame.subarray(6).toString()).toBe('0123456789');
  });

  it('masks in pieces with a phase', () => {
    const key = Buffer.from('01020304', 'hex');
    const whole = Buffer.from('abcdefghijk');
    applyMask(whole, 0, whole.length, key, 0);
    const parts = Buffer.from('abcdefghijk');
    applyMask(parts, 0, 3, key, 0, 0);
    applyMask(parts, 3, 9, key, 0, 3);
    applyMask(parts, 9, 11, key, 0, 9);
    expect(parts.toString('hex')).toBe(whole.toString('hex'));
  });

  it('encodes a lone header', () => {
    expect(encodeFrameHeader(OPCODE.BINARY, 70000).toString('hex')).toBe('827f0000000000011170');
    expect(headerLength(125, true)).toBe(6);
    expect(headerLength(126, false)).toBe(4);
  });
});
