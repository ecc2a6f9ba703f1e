// Autobahn group 7 (close handling). RFC 6455 5.5.1: a close body is empty or a 2-byte code plus a UTF-8
// reason, at most 125 bytes; the receiver answers with a close frame (echoing the code) and, after the
// closing handshake, the server closes the TCP connection first (7.1.1). 7.4.1/7.4.2: codes below 1000,
// 1004-1006, 1015, 1016-2999 are not valid on the wire (1002); 3000-4999 are valid.
import { expect } from 'vitest';
import { expectCleanClose, expectCloseFrame, expectFailure, expectFrame } from './support/expectations.js';
import { closePayload, OP } from './support/frame.js';
import { type ConformanceCase, conformance } from './support/suite.js';

const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] as const;
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] as const;

const cases: ConformanceCase[] = [
  {
    id: '7.1.1',
    title: 'text echoed, then a clean close 1000: code echoed, TCP closed by the server',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.TEXT, payload: 'Hello World!' });
      await expectFrame(ctx, OP.TEXT, Buffer.from('Hello World!'));
      await expectCleanClose(ctx, 1000);
    },
  },
  {
    id: '7.1.2',
    title: 'close frame with an empty body: answered with an empty body or 1000 (never 1005)',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.CLOSE });
      const frame = await expectCloseFrame(ctx, [undefined, 1000]);
      expect(frame.payload.length === 0 || frame.payload.length >= 2).toBe(true);
      if (ctx.under === 'client') ctx.conn.socket.end();
      await ctx.conn.waitTcpClosed();
    },
  },
  {
    id: '7.1.3',
    title: 'data after our close frame is ignored (no echo), close still answered',
    async run(ctx) {
      await ctx.conn.write(
        Buffer.concat([
          ctx.conn.frame({ opcode: OP.CLOSE, payload: closePayload(1000) }),
          ctx.conn.frame({ opcode: OP.TEXT, payload: 'after close' }),
          ctx.conn.frame({ opcode: OP.PING, payload: 'after close' }),
        ]),
      );
      await expectCloseFrame(ctx, 1000);
      if (ctx.under === 'client') ctx.conn.socket.end();
      await ctx.conn.waitTcpClosed();
      expect(ctx.conn.received.map((f) => f.opcode)).toEqual([OP.CLOSE]);
    },
  },
  {
    id: '7.1.4',
    title: 'close in the middle of a fragmented message: answered with 1000',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.TEXT, payload: 'fragment1', fin: false });
      await expectCleanClose(ctx, 1000);
      expect(ctx.conn.received.map((f) => f.opcode)).toEqual([OP.CLOSE]);
    },
  },
  {
    id: '7.1.5',
    title: 'close frame with a 1-byte body -> fail 1002',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.CLOSE, payload: Buffer.from([0x03]) });
      await expectFailure(ctx, 1002);
    },
  },
  {
    id: '7.1.6',
    title: 'close 1000 with a 123-byte reason (125-byte body): code echoed',
    async run(ctx) {
      await expectCleanClose(ctx, 1000, '*'.repeat(123));
    },
  },
  {
    id: '7.1.7',
    title: 'close 1000 with a 124-byte reason (126-byte control frame) -> fail 1002',
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.CLOSE, payload: closePayload(1000, '*'.repeat(124)) });
      await expectFailure(ctx, 1002);
    },
  },
  {
    id: '7.1.8',
    title: 'close with a valid multi-byte UTF-8 reason: code echoed',
    async run(ctx) {
      await expectCleanClose(ctx, 1000, 'Hello-µ@ßöäüàá-UTF-8!!');
    },
  },
  {
    id: '7.1.9',
    title: 'close reason with invalid UTF-8 (surrogate) -> fail 1007',
    async run(ctx) {
      await ctx.conn.send({
        opcode: OP.CLOSE,
        payload: closePayload(1000, Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex')),
      });
      await expectFailure(ctx, 1007);
    },
  },
  {
    id: '7.1.10',
    title: 'close 1000 written in 1-byte chunks: code echoed',
    async run(ctx) {
      await ctx.conn.writeChunked(
        ctx.conn.frame({ opcode: OP.CLOSE, payload: closePayload(1000, 'bye') }),
        1,
      );
      await expectCloseFrame(ctx, 1000);
      if (ctx.under === 'client') ctx.conn.socket.end();
      await ctx.conn.waitTcpClosed();
    },
  },
];

cases.push(
  {
    id: '7.1.11',
    title: '256 KiB message, close and ping in one write: the echo, then the close (ping ignored)',
    async run(ctx) {
      const payload = Buffer.alloc(256 * 1024, 0x61);
      await ctx.conn.write(
        Buffer.concat([
          ctx.conn.frame({ opcode: OP.TEXT, payload }),
          ctx.conn.frame({ opcode: OP.CLOSE, payload: closePayload(1000) }),
          ctx.conn.frame({ opcode: OP.PING, payload: 'after close' }),
        ]),
      );
      const msg = await ctx.conn.nextMessage();
      expect(msg.payload.equals(payload)).toBe(true);
      await expectCloseFrame(ctx, 1000);
      if (ctx.under === 'client') ctx.conn.socket.end();
      await ctx.conn.waitTcpClosed();
      expect(ctx.conn.received.filter((f) => f.opcode === OP.PONG)).toEqual([]);
    },
  },
  {
    id: '7.3.1',
    title: 'after failing the connection (1002) the endpoint closes TCP even if we never answer its close',
    async run(ctx) {
      await ctx.conn.send({ opcode: 5, payload: 'reserved' });
      await expectCloseFrame(ctx, 1002);
      // RFC 6455 7.1.7: failing means closing the TCP connection; a server must not wait for our close. A
      // client may wait for the server's FIN (7.1.1), so as the server we send FIN but no close frame.
      if (ctx.under === 'client') ctx.conn.socket.end();
      await ctx.conn.waitTcpClosed();
    },
  },
  {
    id: '7.3.2',
    title: 'TCP FIN without a close frame: the endpoint closes its side, sends no data',
    async run(ctx) {
      ctx.conn.socket.end();
      await ctx.conn.waitTcpClosed();
      expect(ctx.conn.received.filter((f) => f.opcode !== OP.CLOSE)).toEqual([]);
      if (ctx.client) expect((await ctx.client.closed).code).toBe(1006);
    },
  },
);

VALID_CODES.forEach((code, i) => {
  cases.push({
    id: `7.7.${i + 1}`,
    title: `valid close code ${code}: echoed`,
    async run(ctx) {
      await expectCleanClose(ctx, code);
    },
  });
});

INVALID_CODES.forEach((code, i) => {
  cases.push({
    id: `7.9.${i + 1}`,
    title: `invalid close code ${code} -> fail 1002`,
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.CLOSE, payload: closePayload(code) });
      await expectFailure(ctx, 1002);
    },
  });
});

conformance('7 close handling', cases);
