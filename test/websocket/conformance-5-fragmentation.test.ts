// Autobahn group 5 (fragmentation), RFC 6455 5.4: a message is a data frame with FIN clear followed by
// continuation frames, the last with FIN set; control frames may be interleaved and are answered at once;
// a continuation without a started message, or a new data frame inside one, is a protocol error (1002).

import { expectFailure, expectFrame, expectMessage } from './support/expectations.js';
import { OP } from './support/frame.js';
import { type ConformanceCase, conformance } from './support/suite.js';

const cases: ConformanceCase[] = [
  {
    id: '5.1',
    title: 'ping in 2 fragments -> fail 1002',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.PING, payload: 'fragment1', fin: false });
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: 'fragment2' });
      await expectFailure(ctx, 1002);
    },
  },
  {
    id: '5.2',
    title: 'pong in 2 fragments -> fail 1002',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.PONG, payload: 'fragment1', fin: false });
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: 'fragment2' });
      await expectFailure(ctx, 1002);
    },
  },
  {
    id: '5.3',
    title: 'text in 2 fragments -> echoed as one message',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.TEXT, payload: 'fragment1', fin: false });
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: 'fragment2' });
      await expectFrame(ctx, OP.TEXT, Buffer.from('fragment1fragment2'));
    },
  },
  {
    id: '5.4',
    title: 'text in 2 fragments written in 1-byte chunks -> echoed',
    async run(ctx) {
      const bytes = Buffer.concat([
        ctx.conn.frame({ opcode: OP.TEXT, payload: 'fragment1', fin: false }),
        ctx.conn.frame({ opcode: OP.CONTINUATION, payload: 'fragment2' }),
      ]);
      await ctx.conn.writeChunked(bytes, 1);
      await expectFrame(ctx, OP.TEXT, Buffer.from('fragment1fragment2'));
    },
  },
  {
    id: '5.5',
    title: 'text in 2 fragments with a ping between -> pong first, then the message',
    async run(ctx) {
      await ctx.conn.write(
        Buffer.concat([
          ctx.conn.frame({ opcode: OP.TEXT, payload: 'fragment1', fin: false }),
          ctx.conn.frame({ opcode: OP.PING, payload: 'pongme!' }),
          ctx.conn.frame({ opcode: OP.CONTINUATION, payload: 'fragment2' }),
        ]),
      );
      await expectFrame(ctx, OP.PONG, Buffer.from('pongme!'));
      await expectFrame(ctx, OP.TEXT, Buffer.from('fragment1fragment2'));
    },
  },
  {
    id: '5.6',
    title: 'same, written in 1-byte chunks',
    async run(ctx) {
      const bytes = Buffer.concat([
        ctx.conn.frame({ opcode: OP.TEXT, payload: 'fragment1', fin: false }),
        ctx.conn.frame({ opcode: OP.PING, payload: 'pongme!' }),
        ctx.conn.frame({ opcode: OP.CONTINUATION, payload: 'fragment2' }),
      ]);
      await ctx.conn.writeChunked(bytes, 1);
      await expectFrame(ctx, OP.PONG, Buffer.from('pongme!'));
      await expectFrame(ctx, OP.TEXT, Buffer.from('fragment1fragment2'));
    },
  },
  {
    id: '5.7',
    title: 'pings answered WHILE a message is incomplete (pong before the final fragment is sent)',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.TEXT, payload: 'f1', fin: false });
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: 'f2', fin: false });
      await ctx.conn.send({ opcode: OP.PING, payload: 'ping A' });
      await expectFrame(ctx, OP.PONG, Buffer.from('ping A'));
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: 'f3', fin: false });
      await ctx.conn.send({ opcode: OP.PING, payload: 'ping B' });
      await expectFrame(ctx, OP.PONG, Buffer.from('ping B'));
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: 'f4' });
      await expectFrame(ctx, OP.TEXT, Buffer.from('f1f2f3f4'));
    },
  },
  {
    id: '5.8',
    title: 'binary in 3 fragments (one empty) -> echoed as one binary message',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.BINARY, payload: Buffer.from([0, 1, 2]), fin: false });
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: Buffer.alloc(0), fin: false });
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: Buffer.from([0xfd, 0xfe, 0xff]) });
      await expectFrame(ctx, OP.BINARY, Buffer.from([0, 1, 2, 0xfd, 0xfe, 0xff]));
    },
  },
  {
    id: '5.9',
    title: 'text message in 100 one-byte fragments -> echoed',
    async run(ctx) {
      const text = 'x'.repeat(100);
      const frames = [...text].map((ch, i) =>
        ctx.conn.frame({ opcode: i === 0 ? OP.TEXT : OP.CONTINUATION, payload: ch, fin: i === 99 }),
      );
      await ctx.conn.write(Buffer.concat(frames));
      await expectMessage(ctx, OP.TEXT, Buffer.from(text));
    },
  },
  {
    id: '5.10',
    title: 'continuation (FIN set) with no message started -> fail 1002',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: 'non-continuation payload' });
      await expectFailure(ctx, 1002);
    },
  },
  {
    id: '5.11',
    title: 'continuation (FIN clear) with no message started -> fail 1002',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: 'fragment1', fin: false });
      await ctx.conn.send({ opcode: OP.TEXT, payload: 'fragment2' });
      await expectFailure(ctx, 1002);
    },
  },
  {
    id: '5.12',
    title: 'valid text, then an orphan continuation in 1-byte chunks -> echo, then fail 1002',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.TEXT, payload: 'valid' });
      await expectFrame(ctx, OP.TEXT, Buffer.from('valid'));
      await ctx.conn.writeChunked(ctx.conn.frame({ opcode: OP.CONTINUATION, payload: 'orphan' }), 1);
      await expectFailure(ctx, 1002);
    },
  },
  {
    id: '5.13',
    title: 'new text frame inside a fragmented text message -> fail 1002',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.TEXT, payload: 'fragment1', fin: false });
      await ctx.conn.send({ opcode: OP.TEXT, payload: 'fragment2' });
      await expectFailure(ctx, 1002);
    },
  },
  {
    id: '5.14',
    title: 'binary frame inside a fragmented text message -> fail 1002',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.TEXT, payload: 'fragment1', fin: false });
      await ctx.conn.send({ opcode: OP.BINARY, payload: 'fragment2', fin: false });
      await expectFailure(ctx, 1002);
    },
  },
  {
    id: '5.15',
    title: 'two fragmented messages back to back, then a stray continuation -> 2 echoes, then fail 1002',
    async run(ctx) {
      await ctx.conn.write(
        Buffer.concat([
          ctx.conn.frame({ opcode: OP.TEXT, payload: 'a1', fin: false }),
          ctx.conn.frame({ opcode: OP.CONTINUATION, payload: 'a2' }),
          ctx.conn.frame({ opcode: OP.BINARY, payload: 'b1', fin: false }),
          ctx.conn.frame({ opcode: OP.CONTINUATION, payload: 'b2' }),
          ctx.conn.frame({ opcode: OP.CONTINUATION, payload: 'stray' }),
        ]),
      );
      await expectFrame(ctx, OP.TEXT, Buffer.from('a1a2'));
      await expectFrame(ctx, OP.BINARY, Buffer.from('b1b2'));
      await expectFailure(ctx, 1002);
    },
  },
];

conformance('5 fragmentation', cases);
