// Property test of the websocket transport's ingress: random frames (text with random Bayeux-ish JSON,
// broken JSON, binary, random bytes) from one peer against a real server. Each frame must be answered with
// a reply frame (JSON array of messages with a string channel) or a close frame with a code a peer may
// receive and a reason (RFC 6455 7.4.1); a bystander subscribed on another socket keeps receiving every
// server publish, in order. Bounded run, fixed seed (FUZZ_SEED=<n>); endOnFailure prints the first case.
import type { Message } from '@pushwire/bayeux';
import { encodeFrame, isValidCloseCode, OPCODE } from '@pushwire/websocket';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BayeuxHarness, RawBayeuxWs, startBayeux } from './bayeux-support.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const VALID = '\u0000valid';

let h: BayeuxHarness;
let bystander: RawBayeuxWs;
let peer: RawBayeuxWs | undefined;
let peerClientId = '';
let published = 0;

beforeAll(async () => {
  h = await startBayeux({ timeout: 300, maxMessageSize: 32 * 1024, maxMessagesPerRequest: 10 });
  bystander = await RawBayeuxWs.open(h.port);
  await bystander.join('/fuzz/room');
});

afterAll(async () => {
  await peer?.end();
  await bystander?.end();
  await h?.close();
});

/** The fuzzing peer: reopened (with a fresh session) whenever the server closed the previous one. */
async function livePeer(): Promise<RawBayeuxWs> {
  if (peer !== undefined && !peer.ended && !peer.frames.some((f) => f.kind === 'close')) return peer;
  await peer?.end();
  peer = await RawBayeuxWs.open(h.port);
  peerClientId = await peer.join('/fuzz/self');
  return peer;
}

const junk = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 50 }));
const base = fc.constantFrom<Record<string, unknown>>(
  { channel: '/meta/connect', clientId: VALID, connectionType: 'websocket' },
  { channel: '/meta/subscribe', clientId: VALID, subscription: '/fuzz/*' },
  { channel: '/meta/unsubscribe', clientId: VALID, subscription: '/fuzz/self' },
  { channel: '/fuzz/self', clientId: VALID, data: { x: 1 } },
  { channel: '/fuzz/other', clientId: VALID, data: 'y' },
  { channel: '/service/echo', clientId: VALID, data: [1] },
  { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] },
);
const message = fc
  .tuple(
    base,
    fc.option(
      fc.tuple(
        fc.constantFrom(
          'channel',
          'clientId',
          'id',
          'data',
          'ext',
          'advice',
          'subscription',
          'connectionType',
        ),
        junk,
      ),
      { nil: undefined },
    ),
    fc.option(fc.constantFrom('1', 'x_y', 'bad id!'), { nil: undefined }),
  )
  .map(([b, edit, id]) => {
    const m: Record<string, unknown> = { ...b };
    if (id !== undefined) m.id = id;
    if (edit !== undefined) m[edit[0]] = edit[1];
    return m;
  });

const frame = fc.oneof(
  {
    arbitrary: fc
      .array(message, { minLength: 1, maxLength: 12 })
      .map((ms) => ({ kind: 'json' as const, ms })),
    weight: 6,
  },
  {
    arbitrary: fc
      .jsonValue({ maxDepth: 2 })
      .map((v) => ({ kind: 'text' as const, text: JSON.stringify(v) ?? 'null' })),
    weight: 1,
  },
  { arbitrary: fc.string({ maxLength: 60 }).map((text) => ({ kind: 'text' as const, text })), weight: 1 },
  {
    arbitrary: fc.uint8Array({ maxLength: 60 }).map((b) => ({ kind: 'binary' as const, bytes: b })),
    weight: 1,
  },
  {
    arbitrary: fc.uint8Array({ maxLength: 60 }).map((b) => ({ kind: 'textBytes' as const, bytes: b })),
    weight: 1,
  },
);

type FuzzFrame = typeof frame extends fc.Arbitrary<infer T> ? T : never;

function send(c: RawBayeuxWs, f: FuzzFrame): void {
  if (f.kind === 'json') {
    const ms = f.ms.map((m) => (m.clientId === VALID ? { ...m, clientId: peerClientId } : m));
    c.sendText(JSON.stringify(ms));
  } else if (f.kind === 'text') c.sendText(f.text);
  else if (f.kind === 'binary') c.sendRaw(encodeFrame(OPCODE.BINARY, f.bytes, { mask: true }));
  else c.sendRaw(encodeFrame(OPCODE.TEXT, f.bytes, { mask: true }));
}

describe('websocket transport ingress fuzz', () => {
  it('every frame is answered (replies or a close with a reason); a bystander keeps receiving', async () => {
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        const c = await livePeer();
        const from = c.frames.length;
        send(c, f);
        // A frame with at least one message carrying an id expects a reply frame; anything may instead
        // close the socket. A frame without ids may legitimately get no answer (a publish without id
        // still gets a reply in practice, but Bayeux does not require it): then only liveness is checked.
        const answered = await c
          .waitFrame(() => true, 'an answer', 1000, from)
          .then(
            () => true,
            () => false,
          );
        for (const fr of c.frames.slice(from)) {
          if (fr.kind === 'close') {
            if (fr.code !== -1) {
              expect(isValidCloseCode(fr.code), `close ${fr.code}`).toBe(true);
              expect(fr.reason.length, `close ${fr.code} reason`).toBeGreaterThan(0);
            }
            expect(fr.code, `client-side parse error: ${fr.reason}`).not.toBe(-1);
          } else {
            for (const m of fr.messages) expect(typeof (m as Message).channel).toBe('string');
          }
        }
        if (!answered) expect(c.ended).toBe(false);
        // The bystander still gets the next server publish.
        const n = published++;
        const seen = bystander.data('/fuzz/room').length;
        await h.bayeux.publish('/fuzz/room', { n });
        await bystander.waitFrame(
          () => bystander.data('/fuzz/room').length > seen,
          `bystander gets ${n}`,
          3000,
        );
      }),
      { seed: SEED, numRuns: 60, endOnFailure: true },
    );
    expect(bystander.data('/fuzz/room')).toEqual(Array.from({ length: published }, (_, n) => ({ n })));
    expect(bystander.ended).toBe(false);
    // Heavier than most: its own bound, so a loaded CI machine does not trip the 20 s default.
  }, 60_000);
});
