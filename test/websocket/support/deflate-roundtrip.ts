// Compressed round trips shared by the permessage-deflate groups: messages built so that a peer ignoring
// the agreed window size or context takeover cannot go unnoticed, and the check of each echo.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { type Negotiated, PmdReceiver, PmdSender } from './deflate.js';
import { expectMasking } from './expectations.js';
import { OP } from './frame.js';
import type { CaseContext } from './suite.js';

/** Messages that repeat a random 1200-byte block: matches at distance 1200 (> 2^9, 2^10) within a message
 * and across messages, so window and context violations cannot go unnoticed. Large enough (2.4 KB) to be
 * above any sensible compression threshold. */
export function messages(): Buffer[] {
  const block = randomBytes(900).toString('base64');
  return [0, 1, 2].map((i) => Buffer.from(`${block}${block}#${i}`));
}

/** Send each message compressed, require each echo compressed (RSV1 on the first frame only) and intact. */
export async function compressedRoundTrips(ctx: CaseContext, agreed: Negotiated): Promise<void> {
  const weAreClient = ctx.under === 'server';
  const sender = weAreClient
    ? new PmdSender(agreed.clientMaxWindowBits, !agreed.clientNoContextTakeover)
    : new PmdSender(agreed.serverMaxWindowBits, !agreed.serverNoContextTakeover);
  const receiver = weAreClient
    ? new PmdReceiver(agreed.serverMaxWindowBits, !agreed.serverNoContextTakeover)
    : new PmdReceiver(agreed.clientMaxWindowBits, !agreed.clientNoContextTakeover);
  for (const payload of messages()) {
    await ctx.conn.send({ opcode: OP.TEXT, payload: sender.compress(payload), rsv1: true });
    const msg = await ctx.conn.nextMessage();
    msg.frames.forEach((f, i) => {
      expectMasking(ctx, f);
      expect({ rsv1: f.rsv1, rsv2: f.rsv2, rsv3: f.rsv3 }, `frame ${i} of the echo`).toEqual({
        rsv1: i === 0,
        rsv2: false,
        rsv3: false,
      });
    });
    expect(msg.opcode).toBe(OP.TEXT);
    let inflated: Buffer;
    try {
      inflated = receiver.decompress(msg.payload);
    } catch (err) {
      throw new Error(`echo not decodable under ${JSON.stringify(agreed)}: ${(err as Error).message}`);
    }
    expect(inflated.equals(payload), 'inflated echo').toBe(true);
  }
}
