// The suite's own codec is checked against the literal examples of RFC 6455 5.7 before it judges anyone.
import { describe, expect, it } from 'vitest';
import { buildFrame, closePayload, FrameParser, OP } from './frame.js';

const hex = (s: string): Buffer => Buffer.from(s.replaceAll(' ', ''), 'hex');

describe('support/frame (RFC 6455 5.7 examples)', () => {
  it('encodes an unmasked single-frame text "Hello"', () => {
    expect(buildFrame({ opcode: OP.TEXT, payload: 'Hello' }).toString('hex')).toBe('810548656c6c6f');
  });

  it('encodes and decodes the masked "Hello" with key 37 fa 21 3d', () => {
    const bytes = buildFrame({ opcode: OP.TEXT, payload: 'Hello', mask: hex('37fa213d') });
    expect(bytes.equals(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'))).toBe(true);
    const [frame] = new FrameParser().push(bytes);
    expect(frame?.payload.toString()).toBe('Hello');
    expect(frame?.masked).toBe(true);
  });

  it('encodes a fragmented "Hel" + "lo"', () => {
    expect(buildFrame({ opcode: OP.TEXT, payload: 'Hel', fin: false }).equals(hex('01 03 48 65 6c'))).toBe(
      true,
    );
    expect(buildFrame({ opcode: OP.CONTINUATION, payload: 'lo' }).equals(hex('80 02 6c 6f'))).toBe(true);
  });

  it('uses 16-bit and 64-bit lengths at 256 bytes and 64 KiB', () => {
    expect(
      buildFrame({ opcode: OP.BINARY, payload: Buffer.alloc(256) })
        .subarray(0, 4)
        .equals(hex('82 7e 01 00')),
    ).toBe(true);
    expect(
      buildFrame({ opcode: OP.BINARY, payload: Buffer.alloc(65536) })
        .subarray(0, 10)
        .equals(hex('82 7f 00 00 00 00 00 01 00 00')),
    ).toBe(true);
  });

  it('sets reserved bits and encodes close bodies', () => {
    expect(buildFrame({ opcode: OP.PING, rsv1: true, rsv2: true, rsv3: true }).equals(hex('f9 00'))).toBe(
      true,
    );
    expect(closePayload(1000, 'ok').equals(hex('03 e8 6f 6b'))).toBe(true);
  });

  it('parses frames fed one byte at a time, keeping the raw bytes', () => {
    const bytes = Buffer.concat([
      buildFrame({ opcode: OP.BINARY, payload: Buffer.alloc(300, 1), mask: true }),
      buildFrame({ opcode: OP.PING, payload: 'p' }),
    ]);
    const parser = new FrameParser();
    const frames = [];
    for (let i = 0; i < bytes.length; i++) frames.push(...parser.push(bytes.subarray(i, i + 1)));
    expect(frames.map((f) => [f.opcode, f.payload.length])).toEqual([
      [OP.BINARY, 300],
      [OP.PING, 1],
    ]);
    expect(Buffer.concat(frames.map((f) => f.raw)).equals(bytes)).toBe(true);
    expect(frames[0]?.payload.every((b) => b === 1)).toBe(true);
  });
});
