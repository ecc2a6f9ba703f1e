// Autobahn groups 12/13 (permessage-deflate, RFC 7692). Server role: the raw client offers every
// combination of server_no_context_takeover, client_no_context_takeover, server_max_window_bits (absent,
// 9..15) and client_max_window_bits (absent, no value, 9..15); the response must satisfy RFC 7692 7.1 and
// compressed messages must round-trip under the agreed window and context rules. Client role: the raw server
// answers with every combination of response parameters. Then RFC 7692 7.2 framing rules: RSV1 only on the
// first frame of a message, never on control frames.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import {
  checkServerResponse,
  type DeflateOffer,
  formatOffer,
  type Negotiated,
  PmdReceiver,
  PmdSender,
  parseExtensions,
} from './support/deflate.js';
import { compressedRoundTrips, messages } from './support/deflate-roundtrip.js';
import { expectFailure } from './support/expectations.js';
import { OP } from './support/frame.js';
import { type CaseContext, type ConformanceCase, conformance } from './support/suite.js';

const BITS = [9, 10, 11, 12, 13, 14, 15] as const;

const cases: ConformanceCase[] = [];

// ---- server role: every offer -------------------------------------------------------------------------
for (const snct of [false, true]) {
  for (const cnct of [false, true]) {
    for (const smwb of [undefined, ...BITS]) {
      for (const cmwb of [undefined, true as const, ...BITS]) {
        const offer: DeflateOffer = {
          serverNoContextTakeover: snct,
          clientNoContextTakeover: cnct,
          serverMaxWindowBits: smwb,
          clientMaxWindowBits: cmwb,
        };
        const header = formatOffer(offer);
        cases.push({
          id: `13.s.${snct ? 1 : 0}${cnct ? 1 : 0}.${smwb ?? '-'}.${cmwb === true ? 'v' : (cmwb ?? '-')}`,
          title: `offer "${header}": valid response, compressed round trips`,
          under: ['server'],
          cli: false,
          server: { perMessageDeflate: true },
          requestHeaders: { 'Sec-WebSocket-Extensions': header },
          async run(ctx) {
            const agreed = checkServerResponse(offer, ctx.head.headers['sec-websocket-extensions']);
            await compressedRoundTrips(ctx, agreed);
          },
        });
      }
    }
  }
}

// ---- client role: every response ----------------------------------------------------------------------
for (const snct of [false, true]) {
  for (const cnct of [false, true]) {
    for (const smwb of [undefined, ...BITS]) {
      for (const cmwb of [undefined, ...BITS]) {
        const parts = ['permessage-deflate'];
        if (snct) parts.push('server_no_context_takeover');
        if (cnct) parts.push('client_no_context_takeover');
        if (smwb !== undefined) parts.push(`server_max_window_bits=${smwb}`);
        if (cmwb !== undefined) parts.push(`client_max_window_bits=${cmwb}`);
        const response = parts.join('; ');
        cases.push({
          id: `13.c.${snct ? 1 : 0}${cnct ? 1 : 0}.${smwb ?? '-'}.${cmwb ?? '-'}`,
          title: `response "${response}": accepted when the offer allows it, compressed round trips`,
          under: ['client'],
          client: { perMessageDeflate: true },
          respond: () => ({ headers: { 'Sec-WebSocket-Extensions': response } }),
          async run(ctx) {
            const offers = parseExtensions(ctx.head.headers['sec-websocket-extensions']).filter(
              (e) => e.name === 'permessage-deflate',
            );
            expect(offers.length, 'the client offers permessage-deflate').toBeGreaterThan(0);
            const allowed = offers.some((o) => {
              const offered = o.params.get('client_max_window_bits');
              // RFC 7692 7.1.2.2: client_max_window_bits only if offered, and not above an offered value.
              if (
                cmwb !== undefined &&
                (offered === undefined || (offered !== true && cmwb > Number(offered)))
              )
                return false;
              // 7.1.1.2 / 7.1.2.1: the server may add the other parameters freely.
              return true;
            });
            if (!allowed) {
              // The client MUST fail the connection: it never echoes data, and the TCP connection goes away.
              await ctx.conn.waitTcpClosed();
              expect(ctx.conn.received.filter((f) => f.opcode !== OP.CLOSE)).toEqual([]);
              return;
            }
            await compressedRoundTrips(ctx, {
              serverNoContextTakeover: snct,
              clientNoContextTakeover: cnct,
              serverMaxWindowBits: smwb ?? 15,
              clientMaxWindowBits: cmwb ?? 15,
            });
          },
        });
      }
    }
  }
}

// ---- RFC 7692 7.2 framing rules, both roles, default parameters ---------------------------------------
const DEFAULTS: Negotiated = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
function deflateCase(
  id: string,
  title: string,
  run: (ctx: CaseContext, sender: PmdSender) => Promise<void>,
): ConformanceCase {
  return {
    id,
    title,
    server: { perMessageDeflate: true, maxPayload: 64 * 1024 },
    client: { perMessageDeflate: true, maxPayload: 64 * 1024 },
    requestHeaders: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
    respond: () => ({ headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } }),
    async run(ctx) {
      // No context reuse in what we send (valid under any agreement), so earlier messages cannot matter.
      await run(ctx, new PmdSender(15, false));
    },
  };
}

cases.push(
  deflateCase(
    '12.1',
    'compressed text in 3 fragments (RSV1 on the first only): echoed intact',
    async (ctx, sender) => {
      const payload = messages()[0] as Buffer;
      const data = sender.compress(payload);
      const third = Math.ceil(data.length / 3);
      await ctx.conn.send({ opcode: OP.TEXT, payload: data.subarray(0, third), rsv1: true, fin: false });
      await ctx.conn.send({ opcode: OP.PING, payload: 'in between' });
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: data.subarray(third, 2 * third), fin: false });
      await ctx.conn.send({ opcode: OP.CONTINUATION, payload: data.subarray(2 * third) });
      const pong = await ctx.conn.nextFrame();
      expect([pong.opcode, pong.rsv1, pong.payload.toString()]).toEqual([OP.PONG, false, 'in between']);
      const msg = await ctx.conn.nextMessage();
      expect(msg.frames[0]?.rsv1).toBe(true);
      expect(new PmdReceiver(15, true).decompress(msg.payload).equals(payload)).toBe(true);
    },
  ),
  deflateCase(
    '12.2',
    'uncompressed message (RSV1 clear) on a deflate connection: echoed intact',
    async (ctx) => {
      const payload = messages()[1] as Buffer;
      await ctx.conn.send({ opcode: OP.BINARY, payload });
      const msg = await ctx.conn.nextMessage();
      const body = msg.frames[0]?.rsv1 ? new PmdReceiver(15, true).decompress(msg.payload) : msg.payload;
      expect([msg.opcode, body.equals(payload)]).toEqual([OP.BINARY, true]);
    },
  ),
  deflateCase(
    '12.3',
    'empty compressed message (the single 0x00 byte of RFC 7692 7.2.1): echoed as empty',
    async (ctx) => {
      await ctx.conn.send({ opcode: OP.TEXT, payload: Buffer.from([0x00]), rsv1: true });
      const msg = await ctx.conn.nextMessage();
      const body = msg.frames[0]?.rsv1 ? new PmdReceiver(15, true).decompress(msg.payload) : msg.payload;
      expect([msg.opcode, body.length]).toEqual([OP.TEXT, 0]);
    },
  ),
  deflateCase(
    '12.4',
    'message compressed into a BFINAL block (RFC 7692 7.2.3.4): echoed intact',
    async (ctx) => {
      const payload = Buffer.from('final block '.repeat(300));
      const { deflateRawSync } = await import('node:zlib');
      await ctx.conn.send({ opcode: OP.TEXT, payload: deflateRawSync(payload), rsv1: true });
      const msg = await ctx.conn.nextMessage();
      const body = msg.frames[0]?.rsv1 ? new PmdReceiver(15, true).decompress(msg.payload) : msg.payload;
      expect(body.equals(payload)).toBe(true);
    },
  ),
  deflateCase('12.5', 'RSV1 on a continuation frame -> fail 1002 (RFC 7692 6.1)', async (ctx, sender) => {
    const data = sender.compress(Buffer.from('a'.repeat(3000)));
    await ctx.conn.send({ opcode: OP.TEXT, payload: data.subarray(0, 5), rsv1: true, fin: false });
    await ctx.conn.send({ opcode: OP.CONTINUATION, payload: data.subarray(5), rsv1: true });
    await expectFailure(ctx, 1002);
  }),
  deflateCase('12.6', 'RSV1 on a ping -> fail 1002 (control frames are never compressed)', async (ctx) => {
    await ctx.conn.send({ opcode: OP.PING, payload: Buffer.from([0x00]), rsv1: true });
    await expectFailure(ctx, 1002);
  }),
  deflateCase('12.7', 'RSV2 on a compressed frame -> fail 1002', async (ctx, sender) => {
    await ctx.conn.send({
      opcode: OP.TEXT,
      payload: sender.compress(Buffer.from('x')),
      rsv1: true,
      rsv2: true,
    });
    await expectFailure(ctx, 1002);
  }),
  deflateCase('12.8', 'corrupt DEFLATE data -> fail 1007 (pushwire) or 1002', async (ctx) => {
    await ctx.conn.send({
      opcode: OP.BINARY,
      payload: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]),
      rsv1: true,
    });
    await expectFailure(ctx, [1007, 1002]);
  }),
  deflateCase(
    '12.9',
    'zip bomb: 1 MiB of zeros compressed to ~1 KB, limit 64 KiB -> fail 1009',
    async (ctx, sender) => {
      const data = sender.compress(Buffer.alloc(1024 * 1024));
      expect(data.length).toBeLessThan(4096);
      await ctx.conn.send({ opcode: OP.BINARY, payload: data, rsv1: true });
      await expectFailure(ctx, 1009);
    },
  ),
  deflateCase('12.10', 'compressed text that inflates to invalid UTF-8 -> fail 1007', async (ctx, sender) => {
    await ctx.conn.send({
      opcode: OP.TEXT,
      payload: sender.compress(Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex')),
      rsv1: true,
    });
    await expectFailure(ctx, 1007);
  }),
  deflateCase(
    '12.11',
    '20 compressed messages in one write (shared context): all echoed in order',
    async (ctx) => {
      const ctxSender = new PmdSender(15, true);
      const payloads = Array.from({ length: 20 }, (_, i) => Buffer.from(`message ${i} `.repeat(200)));
      await ctx.conn.write(
        Buffer.concat(
          payloads.map((p) =>
            ctx.conn.frame({ opcode: OP.TEXT, payload: ctxSender.compress(p), rsv1: true }),
          ),
        ),
      );
      const receiver = new PmdReceiver(DEFAULTS.serverMaxWindowBits, true);
      for (const p of payloads) {
        const msg = await ctx.conn.nextMessage();
        expect((msg.frames[0]?.rsv1 ? receiver.decompress(msg.payload) : msg.payload).equals(p)).toBe(true);
      }
    },
  ),
);

cases.push(
  deflateCase(
    '12.12',
    '100 compressed 16 KiB messages with shared context, in one write: all echoed intact',
    async (ctx) => {
      const sender = new PmdSender(15, true);
      const block = randomBytes(2048).toString('base64');
      const payloads = Array.from({ length: 100 }, (_, i) =>
        Buffer.from(`${i}:${block.repeat(6)}`.slice(0, 16 * 1024)),
      );
      await ctx.conn.write(
        Buffer.concat(
          payloads.map((p) => ctx.conn.frame({ opcode: OP.TEXT, payload: sender.compress(p), rsv1: true })),
        ),
      );
      const receiver = new PmdReceiver(15, true);
      for (const p of payloads) {
        const msg = await ctx.conn.nextMessage();
        expect((msg.frames[0]?.rsv1 ? receiver.decompress(msg.payload) : msg.payload).equals(p)).toBe(true);
      }
    },
  ),
);

// The inflated-size cap is maxPayload (64 KiB here), crossed by one, whole and across fragments.
const LIMIT = 64 * 1024;
cases.push(
  deflateCase(
    '12.13',
    'compressed message inflating to exactly maxPayload: echoed intact',
    async (ctx, sender) => {
      const payload = Buffer.alloc(LIMIT, 0x62);
      await ctx.conn.send({ opcode: OP.BINARY, payload: sender.compress(payload), rsv1: true });
      const msg = await ctx.conn.nextMessage();
      const body = msg.frames[0]?.rsv1 ? new PmdReceiver(15, true).decompress(msg.payload) : msg.payload;
      expect(body.equals(payload)).toBe(true);
    },
  ),
  deflateCase('12.14', 'compressed message inflating to maxPayload + 1 -> fail 1009', async (ctx, sender) => {
    await ctx.conn.send({
      opcode: OP.BINARY,
      payload: sender.compress(Buffer.alloc(LIMIT + 1, 0x62)),
      rsv1: true,
    });
    await expectFailure(ctx, 1009);
  }),
  deflateCase(
    '12.15',
    'compressed message in 4 fragments inflating to maxPayload + 1 -> fail 1009',
    async (ctx, sender) => {
      const data = sender.compress(randomBytes(LIMIT + 1));
      const q = Math.ceil(data.length / 4);
      for (let i = 0; i < 4; i++) {
        const part = data.subarray(i * q, (i + 1) * q);
        await ctx.conn.send({
          opcode: i === 0 ? OP.BINARY : OP.CONTINUATION,
          payload: part,
          rsv1: i === 0,
          fin: i === 3,
        });
      }
      await expectFailure(ctx, 1009);
    },
  ),
);

conformance('12/13 permessage-deflate', cases);
