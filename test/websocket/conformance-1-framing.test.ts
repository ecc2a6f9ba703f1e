// Autobahn group 1 (framing): text and binary messages at every length-encoding boundary of RFC 6455 5.2
// (7-bit up to 125, 16-bit from 126 to 65535, 64-bit from 65536), echoed back byte for byte; and the same
// frames written one byte at a time so that the peer's parser meets every split point.

import { expectFrame } from './support/expectations.js';
import { OP } from './support/frame.js';
import { type ConformanceCase, conformance } from './support/suite.js';

const LENGTHS = [0, 125, 126, 127, 128, 65535, 65536] as const;

function payloadOf(opcode: number, length: number): Buffer {
  // Text: ASCII '*' (valid UTF-8 at any split); binary: every byte value, so masking errors show.
  if (opcode === OP.TEXT) return Buffer.alloc(length, 0x2a);
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}

function cases(opcode: number, group: string): ConformanceCase[] {
  const kind = opcode === OP.TEXT ? 'text' : 'binary';
  const out: ConformanceCase[] = [];
  LENGTHS.forEach((length, i) => {
    out.push({
      id: `${group}.${i + 1}`,
      title: `${kind} message, payload ${length} bytes, echoed byte for byte`,
      async run(ctx) {
        const payload = payloadOf(opcode, length);
        await ctx.conn.send({ opcode, payload });
        await expectFrame(ctx, opcode, payload);
      },
    });
  });
  LENGTHS.forEach((length, i) => {
    out.push({
      id: `${group}.${LENGTHS.length + i + 1}`,
      title: `${kind} message, payload ${length} bytes, written in 1-byte chunks`,
      async run(ctx) {
        const payload = payloadOf(opcode, length);
        // Header, extended length, mask key and the first bytes of payload byte by byte; the rest of large
        // payloads in one write, to keep the run short.
        await ctx.conn.writeChunked(ctx.conn.frame({ opcode, payload }), 1, 160);
        await expectFrame(ctx, opcode, payload);
      },
    });
  });
  out.push({
    id: `${group}.${2 * LENGTHS.length + 1}`,
    title: `three ${kind} messages in one TCP write, echoed in order`,
    async run(ctx) {
      const payloads = [payloadOf(opcode, 3), payloadOf(opcode, 130), payloadOf(opcode, 0)];
      await ctx.conn.write(Buffer.concat(payloads.map((payload) => ctx.conn.frame({ opcode, payload }))));
      for (const payload of payloads) await expectFrame(ctx, opcode, payload);
    },
  });
  return out;
}

conformance('1 framing', [...cases(OP.TEXT, '1.1'), ...cases(OP.BINARY, '1.2')]);
