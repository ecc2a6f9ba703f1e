// Autobahn groups 3 (reserved bits) and 4 (opcodes). RFC 6455 5.2: RSV1-3 MUST be 0 unless an extension
// defining them was negotiated, and an unknown opcode means the endpoint MUST fail the connection; both are
// protocol errors (1002, RFC 6455 7.4.1). Frames valid before the bad one must still be answered.

import { expectFailure, expectFrame } from './support/expectations.js';
import { OP } from './support/frame.js';
import { type ConformanceCase, conformance } from './support/suite.js';

type Rsv = { rsv1?: boolean; rsv2?: boolean; rsv3?: boolean };

const rsvCases: Array<[string, Rsv, number, string]> = [
  ['3.1', { rsv3: true }, OP.TEXT, 'text with RSV3'],
  ['3.2', { rsv2: true }, OP.TEXT, 'text with RSV2, after a valid text'],
  ['3.3', { rsv2: true, rsv3: true }, OP.TEXT, 'text with RSV2+RSV3, after a valid text, in one write'],
  ['3.4', { rsv1: true }, OP.TEXT, 'text with RSV1 (no extension negotiated)'],
  ['3.5', { rsv1: true, rsv3: true }, OP.BINARY, 'binary with RSV1+RSV3'],
  ['3.6', { rsv1: true, rsv2: true }, OP.PING, 'ping with RSV1+RSV2'],
  ['3.7', { rsv1: true, rsv2: true, rsv3: true }, OP.CLOSE, 'close with all RSV bits'],
];

const cases: ConformanceCase[] = rsvCases.map(([id, rsv, opcode, what]) => ({
  id,
  title: `${what} -> fail 1002`,
  async run(ctx) {
    const bad = ctx.conn.frame({
      opcode,
      payload: opcode === OP.CLOSE ? Buffer.from([3, 232]) : 'bad',
      ...rsv,
    });
    if (id === '3.1' || id === '3.4' || id === '3.5' || id === '3.6' || id === '3.7') {
      await ctx.conn.write(bad);
    } else {
      const good = ctx.conn.frame({ opcode: OP.TEXT, payload: 'good' });
      if (id === '3.3') {
        // A valid frame and the bad one in the same TCP write: the valid one is still echoed first.
        await ctx.conn.write(Buffer.concat([good, bad]));
        await expectFrame(ctx, OP.TEXT, Buffer.from('good'));
      } else {
        await ctx.conn.write(good);
        await expectFrame(ctx, OP.TEXT, Buffer.from('good'));
        await ctx.conn.write(bad);
      }
    }
    await expectFailure(ctx, 1002);
  },
}));

// Non-control reserved opcodes 3-7 and control reserved opcodes 11-15 (RFC 6455 5.2 / 11.8).
for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
  cases.push({
    id: `4.${opcode < 8 ? 1 : 2}.${opcode}`,
    title: `reserved opcode ${opcode} -> fail 1002`,
    async run(ctx) {
      await ctx.conn.send({ opcode, payload: opcode % 2 === 0 ? 'reserved' : '' });
      await expectFailure(ctx, 1002);
    },
  });
  cases.push({
    id: `4.${opcode < 8 ? 1 : 2}.${opcode}b`,
    title: `valid text, reserved opcode ${opcode}, ping in one write -> echo, then fail 1002 (ping unanswered)`,
    async run(ctx) {
      await ctx.conn.write(
        Buffer.concat([
          ctx.conn.frame({ opcode: OP.TEXT, payload: 'before' }),
          ctx.conn.frame({ opcode, payload: 'reserved' }),
          ctx.conn.frame({ opcode: OP.PING, payload: 'after' }),
        ]),
      );
      await expectFrame(ctx, OP.TEXT, Buffer.from('before'));
      await expectFailure(ctx, 1002);
    },
  });
}

conformance('3/4 reserved bits and opcodes', cases);
