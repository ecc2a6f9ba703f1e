// Property: whatever the negotiated parameters, the fragmentation and the idle releases in between, every
// message compressed by one side inflates to the same bytes on the other (bounded, seeded run).
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { PerMessageDeflate } from '../../src/deflate/codec.js';
import type { ExtensionParams } from '../../src/extension-header.js';
import { run, track, useDeflateCleanup } from './support.js';

const IDLE = 5_000;

useDeflateCleanup();

const bits = fc.option(fc.integer({ min: 8, max: 15 }), { nil: undefined });
const offerArb = fc.record({
  server_no_context_takeover: fc.boolean(),
  client_no_context_takeover: fc.boolean(),
  server_max_window_bits: bits,
  client_max_window_bits: bits,
});

// Compressible and incompressible content, with repeats far enough back to cross small windows.
const payloadArb = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
  fc
    .tuple(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 400 }))
    .map(([s, n]) => Buffer.from(s.repeat(n))),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.integer({ min: 0, max: 2000 }))
    .map(([a, gap]) => Buffer.concat([Buffer.from(a), Buffer.alloc(gap, 0x20), Buffer.from(a)])),
);

const messageArb = fc.record({
  payload: payloadArb,
  toClient: fc.boolean(),
  cuts: fc.array(fc.nat(), { maxLength: 3 }),
  idleBefore: fc.boolean(),
});

describe('permessage-deflate round-trip property', () => {
  it('every message inflates to what was compressed', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    await fc.assert(
      fc.asyncProperty(
        offerArb,
        fc.array(messageArb, { minLength: 1, maxLength: 8 }),
        async (o, messages) => {
          const offer: ExtensionParams = {};
          if (o.server_no_context_takeover) offer.server_no_context_takeover = true;
          if (o.client_no_context_takeover) offer.client_no_context_takeover = true;
          if (o.server_max_window_bits !== undefined)
            offer.server_max_window_bits = String(o.server_max_window_bits);
          if (o.client_max_window_bits !== undefined)
            offer.client_max_window_bits = String(o.client_max_window_bits);
          const server = new PerMessageDeflate({ idleTimeout: IDLE }, true, 1 << 20);
          const client = new PerMessageDeflate({ idleTimeout: IDLE }, false, 1 << 20);
          track(server, client);
          client.acceptResponse([server.accept([offer])]);

          for (const m of messages) {
            if (m.idleBefore) vi.advanceTimersByTime(IDLE * 2);
            const [from, to] = m.toClient ? [server, client] : [client, server];
            const points = [...new Set(m.cuts.map((c) => c % (m.payload.length + 1)))].sort((a, b) => a - b);
            const bounds = [0, ...points, m.payload.length];
            const inflated: Buffer[] = [];
            for (let i = 1; i < bounds.length; i++) {
              const fin = i === bounds.length - 1;
              const frame = await run(from, 'compress', m.payload.subarray(bounds[i - 1], bounds[i]), fin);
              inflated.push(await run(to, 'decompress', frame, fin));
            }
            expect(Buffer.concat(inflated).equals(m.payload)).toBe(true);
          }
          server.cleanup();
          client.cleanup();
        },
      ),
      { numRuns: 60, seed: 7692 },
    );
  });
});
