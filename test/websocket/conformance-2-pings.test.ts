// Autobahn group 2 (pings and pongs), RFC 6455 5.5.2/5.5.3: a ping is answered by a pong with the same
// payload; control frames carry at most 125 bytes and are never fragmented (5.5); unsolicited pongs are
// ignored.
import { expect } from 'vitest';
import { expectFailure, expectFrame, roundTrip } from './support/expectations.js';
import { describeFrame, OP } from './support/frame.js';
import { type ConformanceCase, conformance } from './support/suite.js';

const allBytes = Buffer.from(Array.from({ length: 125 }, (_, i) => (i * 13 + 255) & 0xff));

function pingCase(id: string, title: string, payload: Buffer, chunked = false): ConformanceCase {
  return {
    id,
    title,
    async run(ctx) {
      const bytes = ctx.conn.frame({ opcode: OP.PING, payload });
      await (chunked ? ctx.conn.writeChunked(bytes, 1) : ctx.conn.write(bytes));
      await expectFrame(ctx, OP.PONG, payload);
    },
  };
}

const cases: ConformanceCase[] = [
  pingCase('2.1', 'ping without payload -> pong without payload', Buffer.alloc(0)),
  pingCase('2.2', 'ping with a text payload -> pong with the same payload', Buffer.from('Hello, world!')),
  pingCase(
    '2.3',
    'ping with binary payload -> pong with the same bytes',
    Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0x80, 0x7f]),
  ),
  pingCase('2.4', 'ping with 125-byte payload -> pong with the same payload', allBytes),
  {
    id: '2.5',
    title: 'ping with 126-byte payload -> fail 1002 (RFC 6455 5.5)',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.PING, payload: Buffer.alloc(126, 0xfe) });
      await expectFailure(ctx, 1002);
    },
  },
  pingCase('2.6', 'ping with 125-byte payload written in 1-byte chunks -> pong', allBytes, true),
  {
    id: '2.7',
    title: 'unsolicited pong without payload is ignored',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.PONG });
      await roundTrip(ctx, OP.TEXT, Buffer.from('after pong'));
    },
  },
  {
    id: '2.8',
    title: 'unsolicited pong with payload is ignored',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.PONG, payload: 'unsolicited' });
      await roundTrip(ctx, OP.TEXT, Buffer.from('after pong'));
    },
  },
  {
    id: '2.9',
    title: 'unsolicited pong then ping -> only the ping is answered',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.PONG, payload: 'unsolicited' });
      await ctx.conn.send({ opcode: OP.PING, payload: 'solicited' });
      await expectFrame(ctx, OP.PONG, Buffer.from('solicited'));
    },
  },
  {
    id: '2.10',
    title: '10 pings in one write -> pongs in order, the last one answered',
    async run(ctx) {
      const payloads = Array.from({ length: 10 }, (_, i) => Buffer.from(`ping ${i}`));
      await ctx.conn.write(
        Buffer.concat(payloads.map((payload) => ctx.conn.frame({ opcode: OP.PING, payload }))),
      );
      await ctx.conn.send({ opcode: OP.TEXT, payload: 'end' });
      // RFC 6455 5.5.3: an endpoint MAY answer only the most recent ping; every pong must echo a ping, in order.
      const pongs: string[] = [];
      for (;;) {
        const frame = await ctx.conn.nextFrame();
        if (frame.opcode === OP.TEXT) break;
        expect(frame.opcode, describeFrame(frame)).toBe(OP.PONG);
        pongs.push(frame.payload.toString());
      }
      expect(pongs.at(-1)).toBe('ping 9');
      const indexes = pongs.map((p) => Number(p.slice(5)));
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    },
  },
  {
    id: '2.11',
    title: '10 pings written in 1-byte chunks -> the last one answered',
    async run(ctx) {
      for (let i = 0; i < 10; i++)
        await ctx.conn.writeChunked(ctx.conn.frame({ opcode: OP.PING, payload: `ping ${i}` }), 1);
      let last = '';
      while (last !== 'ping 9') {
        const frame = await ctx.conn.nextFrame();
        expect(frame.opcode).toBe(OP.PONG);
        last = frame.payload.toString();
      }
    },
  },
  {
    id: '2.12',
    title: 'fragmented ping (FIN clear) -> fail 1002 (RFC 6455 5.4: control frames MUST NOT be fragmented)',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.PING, payload: 'frag', fin: false });
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: 'ment' });
      await expectFailure(ctx, 1002);
    },
  },
];

conformance('2 pings/pongs', cases);
