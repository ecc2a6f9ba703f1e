// Autobahn group 9 (limits and performance, sizes reduced for CI) and group 10 (misc). RFC 6455 7.4.1:
// a message too big to process is failed with 1009; pushwire's `maxFragments` limit answers 1008 (policy
// violation). Large messages must survive any fragmentation and any TCP chunking unchanged.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { expectFailure, expectFrame, expectMessage } from './support/expectations.js';
import { buildFrame, OP } from './support/frame.js';
import { type ConformanceCase, conformance } from './support/suite.js';

const LIMIT = 64 * 1024;
const limited = { server: { maxPayload: LIMIT }, client: { maxPayload: LIMIT } };
const BIG_WAIT_MS = 15_000;

function message(opcode: number, length: number): Buffer {
  return opcode === OP.TEXT ? Buffer.alloc(length, 'a') : randomBytes(length);
}

/** Frames carrying `payload` as one message in fragments of `size` bytes. */
function fragments(
  frame: (s: { opcode: number; payload: Buffer; fin: boolean }) => Buffer,
  opcode: number,
  payload: Buffer,
  size: number,
): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < payload.length; at += size) {
    out.push(
      frame({
        opcode: at === 0 ? opcode : OP.CONTINUATION,
        payload: payload.subarray(at, at + size),
        fin: at + size >= payload.length,
      }),
    );
  }
  return Buffer.concat(out);
}

const cases: ConformanceCase[] = [
  {
    id: '9.1.1',
    title: `text of exactly maxPayload (${LIMIT} bytes): echoed`,
    ...limited,
    async run(ctx) {
      const payload = message(OP.TEXT, LIMIT);
      await ctx.conn.send({ opcode: OP.TEXT, payload });
      await expectFrame(ctx, OP.TEXT, payload);
    },
  },
  {
    id: '9.1.2',
    title: `text of maxPayload + 1 bytes in one frame -> fail 1009`,
    ...limited,
    async run(ctx) {
      await ctx.conn.send({ opcode: OP.TEXT, payload: message(OP.TEXT, LIMIT + 1) });
      await expectFailure(ctx, 1009);
    },
  },
  {
    id: '9.1.3',
    title: `binary of maxPayload bytes in 4 fragments: echoed`,
    ...limited,
    async run(ctx) {
      const payload = message(OP.BINARY, LIMIT);
      await ctx.conn.write(fragments((s) => ctx.conn.frame(s), OP.BINARY, payload, LIMIT / 4));
      await expectMessage(ctx, OP.BINARY, payload);
    },
  },
  {
    id: '9.1.4',
    title: `binary of maxPayload + 1 bytes over 5 fragments (each under the limit) -> fail 1009`,
    ...limited,
    async run(ctx) {
      await ctx.conn.write(
        fragments((s) => ctx.conn.frame(s), OP.BINARY, message(OP.BINARY, LIMIT + 1), LIMIT / 4),
      );
      await expectFailure(ctx, 1009);
    },
  },
  {
    id: '9.1.5',
    title: 'maxFragments 100: a message in 100 fragments is echoed',
    server: { maxFragments: 100 },
    client: { maxFragments: 100 },
    async run(ctx) {
      const payload = message(OP.TEXT, 100);
      await ctx.conn.write(fragments((s) => ctx.conn.frame(s), OP.TEXT, payload, 1));
      await expectMessage(ctx, OP.TEXT, payload);
    },
  },
  {
    id: '9.1.6',
    title: 'maxFragments 100: a message in 101 fragments -> fail 1008',
    server: { maxFragments: 100 },
    client: { maxFragments: 100 },
    async run(ctx) {
      await ctx.conn.write(fragments((s) => ctx.conn.frame(s), OP.TEXT, message(OP.TEXT, 101), 1));
      await expectFailure(ctx, 1008);
    },
  },
];

// Large messages (Autobahn 9.1-9.4 reduced): sizes x fragment sizes, text and binary. The smallest
// fragments (64 bytes, 16384 frames) are what Autobahn 9.3.1/9.4.1 use; kept to 1 MiB so CI stays fast.
const MiB = 1024 * 1024;
const LARGE: Array<[number, number, number | undefined]> = [
  [OP.TEXT, MiB, undefined],
  [OP.TEXT, 4 * MiB, undefined],
  [OP.TEXT, 4 * MiB, 64 * 1024],
  [OP.TEXT, MiB, 64],
  [OP.BINARY, MiB, undefined],
  [OP.BINARY, 4 * MiB, 256 * 1024],
  [OP.BINARY, MiB, 1024],
  [OP.BINARY, MiB, 64],
];
LARGE.forEach(([opcode, size, frag], i) => {
  const count = frag === undefined ? 1 : Math.ceil(size / frag);
  cases.push({
    id: `9.2.${i + 1}`,
    title: `${opcode === OP.TEXT ? 'text' : 'binary'} ${size / MiB} MiB in ${count} frame(s): echoed unchanged`,
    // At most 16384 frames: within the default maxFragments of ws (16384) and pushwire (100000).
    timeout: 30_000,
    async run(ctx) {
      const payload = message(opcode, size);
      await ctx.conn.write(fragments((s) => ctx.conn.frame(s), opcode, payload, frag ?? size));
      await expectMessage(ctx, opcode, payload, BIG_WAIT_MS);
    },
  });
});

// Autobahn 9.5/9.6 reduced: one 1 MiB frame written to TCP in small chunks.
for (const chunk of [1024, 65536]) {
  cases.push({
    id: `9.5.${chunk}`,
    title: `text 1 MiB in one frame, written in ${chunk}-byte TCP chunks: echoed`,
    timeout: 30_000,
    async run(ctx) {
      const payload = message(OP.TEXT, 1024 * 1024);
      await ctx.conn.writeChunked(ctx.conn.frame({ opcode: OP.TEXT, payload }), chunk);
      await expectMessage(ctx, OP.TEXT, payload, BIG_WAIT_MS);
    },
  });
}

// Autobahn 9.7/9.8 reduced: many messages in flight at once must come back complete and in order.
cases.push(
  {
    id: '9.7.1',
    title: '1000 text messages of 16 bytes in one write: all echoed, in order',
    async run(ctx) {
      const payloads = Array.from({ length: 1000 }, (_, i) =>
        Buffer.from(`msg ${String(i).padStart(12, '0')}`),
      );
      await ctx.conn.write(
        Buffer.concat(payloads.map((payload) => ctx.conn.frame({ opcode: OP.TEXT, payload }))),
      );
      for (const p of payloads) await expectMessage(ctx, OP.TEXT, p);
    },
  },
  {
    id: '9.8.1',
    title: '64 binary messages of 64 KiB in one write: all echoed, in order',
    timeout: 30_000,
    async run(ctx) {
      const payloads = Array.from({ length: 64 }, () => randomBytes(64 * 1024));
      await ctx.conn.write(
        Buffer.concat(payloads.map((payload) => ctx.conn.frame({ opcode: OP.BINARY, payload }))),
      );
      for (const p of payloads) await expectMessage(ctx, OP.BINARY, p, BIG_WAIT_MS);
    },
  },
);

cases.push({
  id: '10.1.1',
  title: 'text of 65536 bytes in frames of 1300 bytes: echoed',
  async run(ctx) {
    const payload = message(OP.TEXT, 65536);
    await ctx.conn.write(fragments((s) => ctx.conn.frame(s), OP.TEXT, payload, 1300));
    await expectMessage(ctx, OP.TEXT, payload);
  },
});

cases.push({
  id: '10.2.1',
  title: 'server refuses an unmasked client frame -> fail 1002 (RFC 6455 5.1)',
  under: ['server'],
  async run(ctx) {
    await ctx.conn.write(ctx.conn.frame({ opcode: OP.TEXT, payload: 'unmasked', mask: false }));
    await expectFailure(ctx, 1002);
  },
});

cases.push({
  id: '10.2.2',
  title: 'client refuses a masked server frame -> fail 1002 (RFC 6455 5.1)',
  under: ['client'],
  async run(ctx) {
    await ctx.conn.write(ctx.conn.frame({ opcode: OP.TEXT, payload: 'masked', mask: true }));
    await expectFailure(ctx, 1002);
  },
});

cases.push({
  id: '10.2.3',
  title: 'message of many frames and pings interleaved in one write: pongs and the echo, in order',
  async run(ctx) {
    const parts: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      parts.push(
        ctx.conn.frame({
          opcode: i === 0 ? OP.BINARY : OP.CONTINUATION,
          payload: Buffer.from([i]),
          fin: i === 19,
        }),
      );
      parts.push(ctx.conn.frame({ opcode: OP.PING, payload: `p${i}` }));
    }
    await ctx.conn.write(Buffer.concat(parts));
    for (let i = 0; i < 19; i++) await expectFrame(ctx, OP.PONG, Buffer.from(`p${i}`));
    await expectFrame(ctx, OP.BINARY, Buffer.from(Array.from({ length: 20 }, (_, i) => i)));
    await expectFrame(ctx, OP.PONG, Buffer.from('p19'));
  },
});

cases.push({
  id: '10.3.1',
  title: 'client: frames that arrive in the same TCP segment as the 101 response are delivered',
  under: ['client'],
  respond: () => ({
    raw:
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n' +
      buildFrame({ opcode: OP.TEXT, payload: 'in the same segment as the 101' }).toString('latin1'),
  }),
  async run(ctx) {
    await expectFrame(ctx, OP.TEXT, Buffer.from('in the same segment as the 101'));
  },
});

cases.push({
  id: '10.4.1',
  title: 'client: every frame masked with a fresh random key (RFC 6455 5.3), never a constant or zero key',
  under: ['client'],
  async run(ctx) {
    const keys = new Set<string>();
    for (let i = 0; i < 20; i++) {
      await ctx.conn.send({ opcode: OP.BINARY, payload: Buffer.from([i]) });
      const frame = await expectFrame(ctx, OP.BINARY, Buffer.from([i]));
      keys.add(frame.raw.subarray(2, 6).toString('hex'));
    }
    expect(keys.has('00000000')).toBe(false);
    expect(keys.size).toBeGreaterThanOrEqual(19);
  },
});

cases.push({
  id: '10.5.1',
  title: '64-bit payload length with the most significant bit set (RFC 6455 5.2) -> fail 1002 or 1009',
  async run(ctx) {
    const header = Buffer.from([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1]);
    if (ctx.under === 'server') header[1] = 0xff;
    await ctx.conn.write(
      ctx.under === 'server' ? Buffer.concat([header, Buffer.from([1, 2, 3, 4])]) : header,
    );
    await expectFailure(ctx, [1002, 1009]);
  },
});

conformance('9/10 limits and misc', cases);
