// Property tests of the receive path with permessage-deflate (RFC 7692 7.2.2): the receiver hands compressed
// frames to the real PerMessageDeflate inflater, which answers asynchronously. However the bytes are cut
// into chunks, the events must be those of the model; corrupted compressed data must end in exactly one
// error with a close code a peer may send (1007 / 1009 / 1002), never a throw, never an event after it.
// Bounded runs, fixed seed (FUZZ_SEED=<n> replays another); fast-check prints seed and counterexample.
import { constants, deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidCloseCode } from '../../packages/websocket/src/close-payload.js';
import { PerMessageDeflate } from '../../packages/websocket/src/deflate/codec.js';
import { encodeFrame, OPCODE } from '../../packages/websocket/src/frame.js';
import { Receiver } from '../../packages/websocket/src/receiver.js';
import { within } from './support.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const MAX_PAYLOAD = 64 * 1024;

type Event = ['message', string, boolean] | ['ping', string] | ['close', number] | ['error', string, number];

/** Feeds the chunks (all at once, as TCP would), then waits until the receiver has gone quiet. */
async function run(chunks: Buffer[], expectedCount: number): Promise<Event[]> {
  const events: Event[] = [];
  const pmd = new PerMessageDeflate(undefined, true, MAX_PAYLOAD);
  pmd.accept([{}]);
  const receiver = new Receiver(
    {
      onMessage: (data, isBinary) => events.push(['message', data.toString('hex'), isBinary]),
      onPing: (data) => events.push(['ping', data.toString('hex')]),
      onPong: () => {},
      onClose: (code) => events.push(['close', code]),
      onError: (err) => events.push(['error', err.code, err.closeCode]),
    },
    true,
    { maxPayload: MAX_PAYLOAD, maxFragments: 1000, maxBufferedChunks: 1_000_000 },
    pmd,
  );
  for (const c of chunks) receiver.write(Buffer.from(c));
  // Inflation is asynchronous: wait for the expected number of events or an ending, then a few more turns
  // to catch anything reported late (an event after an error would be a bug).
  const done = (): boolean =>
    events.length >= expectedCount || events.some((e) => e[0] === 'error' || e[0] === 'close');
  await within(
    (async () => {
      while (!done()) await new Promise((r) => setImmediate(r));
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    })(),
    5000,
    'receiver settles',
  );
  pmd.cleanup();
  return events;
}

function cut(buf: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of at) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

/** RFC 7692 7.2.1: compress, sync flush, drop the trailing 00 00 ff ff. */
function compress(data: Buffer): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

const message = fc.record({
  binary: fc.boolean(),
  payload: fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s)),
    fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
    fc.nat({ max: 4000 }).map((n) => Buffer.alloc(n, 'ab')), // compresses well
  ),
  compressed: fc.boolean(),
  // Compressed payload split over several frames (RSV1 on the first only, RFC 7692 6.1).
  fragmentCuts: fc.array(fc.nat({ max: 5000 }), { maxLength: 3 }),
  pingBefore: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: undefined }),
});

type Msg = typeof message extends fc.Arbitrary<infer T> ? T : never;

function build(messages: Msg[]): { stream: Buffer; expected: Event[] } {
  const frames: Buffer[] = [];
  const expected: Event[] = [];
  for (const m of messages) {
    if (m.pingBefore !== undefined) {
      frames.push(encodeFrame(OPCODE.PING, m.pingBefore, { mask: true }));
      expected.push(['ping', Buffer.from(m.pingBefore).toString('hex')]);
    }
    const binary = m.binary || !isUtf8(m.payload);
    const body = m.compressed ? compress(m.payload) : m.payload;
    const pieces = cut(body, m.fragmentCuts);
    pieces.forEach((p, i) => {
      const opcode = i > 0 ? OPCODE.CONTINUATION : binary ? OPCODE.BINARY : OPCODE.TEXT;
      frames.push(
        encodeFrame(opcode, p, { mask: true, fin: i === pieces.length - 1, rsv1: i === 0 && m.compressed }),
      );
    });
    expected.push(['message', m.payload.toString('hex'), binary]);
  }
  return { stream: Buffer.concat(frames), expected };
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

const cutPoints = fc.array(fc.nat({ max: 100_000 }), { maxLength: 30 });

describe('receiver + permessage-deflate', () => {
  it('any chunking of compressed and plain messages gives the modelled events, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { minLength: 1, maxLength: 5 }),
        cutPoints,
        async (messages, points) => {
          const { stream, expected } = build(messages);
          expect(await run([stream], expected.length)).toEqual(expected);
          expect(await run(cut(stream, points), expected.length)).toEqual(expected);
        },
      ),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('corrupted compressed data: messages then at most one error with a sendable close code, split-invariant', async () => {
    const edits = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { minLength: 1, maxLength: 4 }),
        edits,
        cutPoints,
        async (messages, changes, points) => {
          // Corrupt only payload bytes of compressed messages: the framing stays valid, zlib sees garbage.
          const corrupted = messages.map((m) => ({ ...m, compressed: true }));
          const frames: Buffer[] = [];
          for (const m of corrupted) {
            const body = Buffer.from(compress(m.payload));
            for (const [at, value] of changes) if (body.length > 0) body[at % body.length] = value;
            frames.push(
              encodeFrame(m.binary ? OPCODE.BINARY : OPCODE.TEXT, body, { mask: true, rsv1: true }),
            );
          }
          const stream = Buffer.concat(frames);
          const whole = await run([stream], corrupted.length);
          const ends = whole.filter((e) => e[0] === 'error' || e[0] === 'close');
          expect(ends.length).toBeLessThanOrEqual(1);
          if (ends.length === 1) {
            expect(whole.at(-1)).toBe(ends[0]);
            const last = ends[0]!;
            if (last[0] === 'error') expect(isValidCloseCode(last[2])).toBe(true);
          }
          expect(await run(cut(stream, points), corrupted.length)).toEqual(whole);
        },
      ),
      { seed: SEED, numRuns: 80 },
    );
  });
});
