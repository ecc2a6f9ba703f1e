// Autobahn group 6 (UTF-8 handling). RFC 6455 5.6/8.1: text messages are UTF-8 (RFC 3629); on invalid data
// the endpoint MUST fail the connection with 1007. Validation must be incremental: a fragmented message
// that breaks on frame k is failed right after frame k (Autobahn 6.4.x "fail fast", which pushwire must pass
// strictly), not when the message completes.
import { expect } from 'vitest';
import { expectFailure, expectFrame, expectMessage } from './support/expectations.js';
import { OP } from './support/frame.js';
import { type ConformanceCase, conformance } from './support/suite.js';

const hex = (s: string): Buffer => Buffer.from(s.replaceAll(' ', ''), 'hex');

const VALID: Array<[string, Buffer]> = [
  ['Greek "κόσμε" (2-byte sequences)', Buffer.from('κόσμε')],
  ['mixed 1/2/3-byte text', Buffer.from('Hello-µ@ßöäüàá-UTF-8!!')],
  ['4-byte sequence U+1D11E', Buffer.from('𝄞 clef')],
  ['first 2/3/4-byte code points U+0080 U+0800 U+10000', hex('c280 e0a080 f0908080')],
  ['last 1/2/3/4-byte code points U+007F U+07FF U+FFFF U+10FFFF', hex('7f dfbf efbfbf f48fbfbf')],
  ['around the surrogates U+D7FF U+E000 U+FFFD', hex('ed9fbf ee8080 efbfbd')],
  ['non-characters U+FFFE U+FDD0 (valid UTF-8)', hex('efbfbe efb790')],
  ['NUL byte', hex('00 41 00')],
];

const INVALID: Array<[string, Buffer]> = [
  ['lone continuation byte 0x80', hex('80')],
  ['continuation byte 0xBF after ASCII', hex('41 bf')],
  ['overlong 2-byte "/" C0 AF', hex('c0af')],
  ['overlong 2-byte C1 BF', hex('c1bf')],
  ['overlong 3-byte E0 80 AF', hex('e080af')],
  ['overlong 3-byte U+07FF E0 9F BF', hex('e09fbf')],
  ['overlong 4-byte F0 80 80 AF', hex('f08080af')],
  ['overlong 4-byte U+FFFF F0 8F BF BF', hex('f08fbfbf')],
  ['high surrogate U+D800 ED A0 80', hex('eda080')],
  ['low surrogate U+DFFF ED BF BF', hex('edbfbf')],
  ['surrogate pair as CESU-8 ED A0 80 ED B0 80', hex('eda080 edb080')],
  ['code point above U+10FFFF: F4 90 80 80', hex('f4908080')],
  ['lead byte F5', hex('f5808080')],
  ['5-byte sequence F8 88 80 80 80', hex('f888808080')],
  ['6-byte sequence FC 84 80 80 80 80', hex('fc8480808080')],
  ['bytes FE and FF', hex('fe ff')],
  ['2-byte sequence missing its continuation (C2 41)', hex('c2 41')],
  ['3-byte sequence missing its last byte (E2 82 41)', hex('e282 41')],
  ['message ends inside a 3-byte sequence', hex('41 e0a0')],
  ['message ends inside a 4-byte sequence', hex('41 f09f98')],
  ['Autobahn 6.3.1 "κόσμε" + surrogate + "edited"', hex('cebae1bdb9cf83cebcceb5 eda080 656469746564')],
];

const cases: ConformanceCase[] = [];

VALID.forEach(([what, payload], i) => {
  cases.push({
    id: `6.1.${i + 1}`,
    title: `valid UTF-8, ${what}: echoed`,
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.TEXT, payload });
      await expectFrame(ctx, OP.TEXT, payload);
    },
  });
  cases.push({
    id: `6.2.${i + 1}`,
    title: `valid UTF-8, ${what}, one byte per frame (code points split across frames): echoed`,
    async run(ctx) {
      const frames = [...payload].map((byte, j) =>
        ctx.conn.frame({
          opcode: j === 0 ? OP.TEXT : OP.CONTINUATION,
          payload: Buffer.from([byte]),
          fin: j === payload.length - 1,
        }),
      );
      await ctx.conn.write(Buffer.concat(frames));
      await expectMessage(ctx, OP.TEXT, payload);
    },
  });
});

INVALID.forEach(([what, payload], i) => {
  cases.push({
    id: `6.3.${i + 1}`,
    title: `invalid UTF-8, ${what} -> fail 1007`,
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.TEXT, payload });
      await expectFailure(ctx, 1007);
    },
  });
});

// Fail fast. Autobahn 6.4.1/6.4.2 split the message into frames, 6.4.3/6.4.4 split one frame into TCP
// chunks. PART1 and PART3 are valid on their own; the close must arrive after PART2, before PART3 is sent.
const FAIL_FAST_MS = 500;
const PART1 = Buffer.from('κόσμε');
const PART3 = Buffer.from('edited');
const WS_NON_STRICT = 'ws validates UTF-8 only once the message is complete (Autobahn 6.4.x NON-STRICT)';

const failFast: Array<[string, string, Buffer, Buffer, Buffer, 'frames' | 'chunks']> = [
  ['6.4.1', 'code point 0x110000 in its own frame', PART1, hex('f4908080'), PART3, 'frames'],
  [
    '6.4.2',
    'invalid byte right after a lead byte that ended frame 1',
    Buffer.concat([PART1, hex('f4')]),
    hex('90'),
    Buffer.concat([hex('8080'), PART3]),
    'frames',
  ],
  ['6.4.3', 'as 6.4.1, one frame in 3 TCP chunks', PART1, hex('f4908080'), PART3, 'chunks'],
  [
    '6.4.4',
    'as 6.4.2, one frame in 3 TCP chunks',
    Buffer.concat([PART1, hex('f4')]),
    hex('90'),
    Buffer.concat([hex('8080'), PART3]),
    'chunks',
  ],
];

for (const [id, what, p1, p2, p3, mode] of failFast) {
  cases.push({
    id,
    title: `fail fast: ${what} -> 1007 before the rest is sent`,
    deviations: { 'ws-server': WS_NON_STRICT, 'ws-client': WS_NON_STRICT },
    async run(ctx) {
      let parts: Buffer[];
      if (mode === 'frames') {
        parts = [
          ctx.conn.frame({ opcode: OP.TEXT, payload: p1, fin: false }),
          ctx.conn.frame({ opcode: OP.CONTINUATION, payload: p2, fin: false }),
          ctx.conn.frame({ opcode: OP.CONTINUATION, payload: p3 }),
        ];
      } else {
        const whole = ctx.conn.frame({ opcode: OP.TEXT, payload: Buffer.concat([p1, p2, p3]) });
        const cut1 = whole.length - p2.length - p3.length;
        const cut2 = whole.length - p3.length;
        parts = [whole.subarray(0, cut1), whole.subarray(cut1, cut2), whole.subarray(cut2)];
      }
      await ctx.conn.write(parts[0] as Buffer);
      // Nothing yet: the prefix is valid, so the peer must neither answer nor fail.
      expect(await ctx.conn.idle(50)).toBe(true);
      await ctx.conn.write(parts[1] as Buffer);
      await expectFailure(ctx, 1007, FAIL_FAST_MS);
    },
  });
}

cases.push({
  id: '6.5.1',
  title: 'invalid sequence split across two frames (E0 | 80 80) -> fail 1007',
  async run(ctx) {
    await ctx.conn.send({ opcode: OP.TEXT, payload: hex('41 e0'), fin: false });
    await ctx.conn.send({ opcode: OP.CONTINUATION, payload: hex('8080') });
    await expectFailure(ctx, 1007);
  },
});

cases.push({
  id: '6.5.2',
  title: 'text message ending inside a sequence whose lead byte is in the last frame -> fail 1007',
  async run(ctx) {
    await ctx.conn.send({ opcode: OP.TEXT, payload: 'ok', fin: false });
    await ctx.conn.send({ opcode: OP.CONTINUATION, payload: hex('e2 82') });
    await expectFailure(ctx, 1007);
  },
});

cases.push({
  id: '6.5.3',
  title: 'binary messages are not validated as UTF-8',
  async run(ctx) {
    const payload = hex('ff fe eda080 c0af');
    await ctx.conn.send({ opcode: OP.BINARY, payload });
    await expectFrame(ctx, OP.BINARY, payload);
  },
});

conformance('6 UTF-8', cases);
