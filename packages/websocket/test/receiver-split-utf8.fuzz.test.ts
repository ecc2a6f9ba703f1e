// Property tests for the incremental frame parser and the UTF-8 validator (DESIGN.md layer 7), written by
// HARDENING (receiver.fuzz.test.ts beside it is WS-CORE's smaller set; this one adds a frame model, mutated
// streams, close-code checks and the TextDecoder oracle). Bounded runs
// with a fixed seed; fast-check prints the seed and the shrunk counterexample on failure, and FUZZ_SEED=<n>
// replays another seed. Properties:
// - split-invariance: however TCP cuts a byte stream, the receiver reports the same events as for one chunk
//   (RFC 6455 5.2 frames are a byte stream, chunk boundaries carry no meaning);
// - random input never throws out of write() and ends in messages or exactly one error with a close code a
//   peer may send (RFC 6455 7.4.1), nothing after an error or a close frame (RFC 6455 5.5.1);
// - the incremental UTF-8 validator agrees with WHATWG TextDecoder {fatal: true} (RFC 3629 4 grammar), whole
//   and split at random points, and so does the receiver on text frames (RFC 6455 8.1: 1007 otherwise).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidCloseCode } from '../src/close-payload.js';
import { type WebSocketError, WS_ERROR_CODES } from '../src/errors.js';
import { encodeFrame, OPCODE } from '../src/frame.js';
import { Receiver, type ReceiverLimits } from '../src/receiver.js';
import { isValidUtf8, Utf8Validator } from '../src/utf8.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const RUNS = { seed: SEED, numRuns: 150 };

type Event =
  | ['message', string, boolean]
  | ['ping' | 'pong', string]
  | ['close', number, string]
  | ['error', string, number];

// Chunk-count limits depend on how the input is cut, so they are out of reach here (receiver.test.ts crosses
// them); maxPayload stays small so random 64-bit lengths fail instead of waiting forever.
const LIMITS: ReceiverLimits = { maxPayload: 64 * 1024, maxFragments: 1000, maxBufferedChunks: 1_000_000 };

function run(isServer: boolean, chunks: Buffer[], limits: ReceiverLimits = LIMITS): Event[] {
  const events: Event[] = [];
  const receiver = new Receiver(
    {
      onMessage: (data, isBinary) => events.push(['message', data.toString('hex'), isBinary]),
      onPing: (data) => events.push(['ping', data.toString('hex')]),
      onPong: (data) => events.push(['pong', data.toString('hex')]),
      onClose: (code, reason) => events.push(['close', code, reason.toString('hex')]),
      onError: (err: WebSocketError) => events.push(['error', err.code, err.closeCode]),
    },
    isServer,
    limits,
  );
  // The receiver unmasks in place: every run gets its own copy of the input.
  for (const c of chunks) receiver.write(Buffer.from(c));
  return events;
}

/** Cuts `buf` at the given positions (taken modulo its length, duplicates give empty pieces). */
function cut(buf: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => (buf.length === 0 ? 0 : p % (buf.length + 1))))].sort(
    (a, b) => a - b,
  );
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of at) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

const cutPoints = fc.array(fc.nat({ max: 100_000 }), { maxLength: 40 });

// Byte sequences rich in the edge cases of UTF-8: ASCII, lead bytes with narrowed ranges (E0, ED, F0, F4),
// bytes never valid (C0, C1, F5-FF), continuation bytes at the edges of each range, and real characters.
const utf8ish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        0x00,
        0x41,
        0x7f,
        0x80,
        0x8f,
        0x90,
        0x9f,
        0xa0,
        0xbf,
        0xc0,
        0xc1,
        0xc2,
        0xdf,
        0xe0,
        0xe1,
        0xed,
        0xee,
        0xef,
        0xf0,
        0xf3,
        0xf4,
        0xf5,
        0xff,
      ),
      fc.nat({ max: 255 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }).map((s) => [...Buffer.from(s)]),
    ),
    { maxLength: 64 },
  )
  .map((parts) => Buffer.from(parts.flat()));

const validText = fc.string({ unit: 'binary', maxLength: 80 }).map((s) => Buffer.from(s, 'utf8'));
const textBytes = fc.oneof(
  utf8ish,
  validText,
  fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)),
);

function decoderAccepts(buf: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

describe('Utf8Validator agrees with TextDecoder {fatal: true}', () => {
  it('on whole byte strings (and isValidUtf8 too)', () => {
    fc.assert(
      fc.property(textBytes, (bytes) => {
        const expected = decoderAccepts(bytes);
        const v = new Utf8Validator();
        expect(v.write(bytes) && v.complete).toBe(expected);
        expect(isValidUtf8(bytes)).toBe(expected);
      }),
      { ...RUNS, numRuns: 600 },
    );
  });

  it('when split at random points (state carried across writes)', () => {
    fc.assert(
      fc.property(textBytes, cutPoints, (bytes, points) => {
        const v = new Utf8Validator();
        let ok = true;
        for (const piece of cut(bytes, points)) {
          if (!v.write(piece)) {
            ok = false;
            break;
          }
        }
        expect(ok && v.complete).toBe(decoderAccepts(bytes));
      }),
      { ...RUNS, numRuns: 600 },
    );
  });

  it('after a failure and reset, the same instance validates the next string correctly', () => {
    fc.assert(
      fc.property(textBytes, textBytes, (first, second) => {
        const v = new Utf8Validator();
        v.write(first);
        v.reset();
        expect(v.write(second) && v.complete).toBe(decoderAccepts(second));
      }),
      RUNS,
    );
  });
});

// A stream of valid frames, built with the model of what the receiver must report.
interface Model {
  stream: Buffer;
  expected: Event[];
}

const control = fc.record({
  opcode: fc.constantFrom(OPCODE.PING, OPCODE.PONG),
  payload: fc.uint8Array({ maxLength: 125 }),
});

const message = fc.record({
  binary: fc.boolean(),
  payload: fc.oneof(
    validText,
    fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
  ),
  // Fragment boundaries inside the payload; text may be cut inside a code point (RFC 6455 5.6).
  cuts: fc.array(fc.nat({ max: 400 }), { maxLength: 5 }),
  // Control frames between the fragments (RFC 6455 5.4), by fragment index.
  interleaved: fc.array(fc.tuple(fc.nat({ max: 5 }), control), { maxLength: 3 }),
});

const closeFrame = fc.option(
  fc.record({
    code: fc.constantFrom(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999),
    reason: fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => Buffer.byteLength(s) <= 123),
  }),
  { nil: undefined },
);

function buildModel(
  isServer: boolean,
  messages: {
    binary: boolean;
    payload: Buffer;
    cuts: number[];
    interleaved: [number, { opcode: number; payload: Uint8Array }][];
  }[],
  close: { code: number; reason: string } | undefined,
): Model {
  const frames: Buffer[] = [];
  const expected: Event[] = [];
  // RFC 6455 5.3: client-to-server frames are masked, server-to-client frames are not.
  const opts = { mask: isServer };
  for (const m of messages) {
    // A text message must be valid UTF-8 as a whole; binary random bytes are fine.
    const binary = m.binary || !decoderAccepts(m.payload);
    const pieces = cut(m.payload, m.cuts);
    pieces.forEach((piece, i) => {
      for (const [at, c] of m.interleaved) {
        if (at % pieces.length === i && i > 0) {
          frames.push(encodeFrame(c.opcode, c.payload, opts));
          expected.push([c.opcode === OPCODE.PING ? 'ping' : 'pong', Buffer.from(c.payload).toString('hex')]);
        }
      }
      const opcode = i > 0 ? OPCODE.CONTINUATION : binary ? OPCODE.BINARY : OPCODE.TEXT;
      frames.push(encodeFrame(opcode, piece, { ...opts, fin: i === pieces.length - 1 }));
    });
    expected.push(['message', m.payload.toString('hex'), binary]);
  }
  if (close !== undefined) {
    const body = Buffer.alloc(2 + Buffer.byteLength(close.reason));
    body.writeUInt16BE(close.code, 0);
    body.write(close.reason, 2);
    frames.push(encodeFrame(OPCODE.CLOSE, body, opts));
    expected.push(['close', close.code, Buffer.from(close.reason).toString('hex')]);
  }
  return { stream: Buffer.concat(frames), expected };
}

describe('Receiver: split-invariance on valid frame streams', () => {
  for (const isServer of [true, false]) {
    it(`${isServer ? 'server (masked)' : 'client (unmasked)'}: any chunking gives the modelled events`, () => {
      fc.assert(
        fc.property(fc.array(message, { maxLength: 6 }), closeFrame, cutPoints, (messages, close, points) => {
          const { stream, expected } = buildModel(isServer, messages, close);
          expect(run(isServer, [stream])).toEqual(expected);
          expect(run(isServer, cut(stream, points))).toEqual(expected);
        }),
        RUNS,
      );
    });
  }

  it('byte-at-a-time delivery gives the same events as one chunk', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 3 }), closeFrame, (messages, close) => {
        const { stream, expected } = buildModel(true, messages, close);
        const bytes = [...stream].map((b) => Buffer.of(b));
        expect(run(true, bytes)).toEqual(expected);
      }),
      { ...RUNS, numRuns: 100 },
    );
  });
});

// Frame-shaped noise: plausible headers with random bits (FIN, RSV, opcode, mask, length forms incl. the
// 16- and 64-bit ones), payloads that may be shorter than declared, plus plain random bytes.
const noisyFrame = fc.record({
  fin: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
  rsv: fc.oneof(
    { arbitrary: fc.constant(0), weight: 12 },
    { arbitrary: fc.constantFrom(1, 2, 4), weight: 1 },
  ),
  opcode: fc.oneof(
    { arbitrary: fc.constantFrom(0, 1, 2, 8, 9, 10), weight: 8 },
    { arbitrary: fc.nat({ max: 15 }), weight: 1 },
  ),
  flipMask: fc.nat({ max: 9 }),
  lengthForm: fc.constantFrom('7', '7', '7', '16', '64'),
  length: fc.nat({ max: 300 }),
  high: fc.constantFrom(0, 0, 1, 0x80000000, 0x1fffff, 0x200000),
  key: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  payload: fc.oneof(
    utf8ish,
    fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
  ),
  closeCode: fc.oneof(
    fc.constantFrom(999, 1000, 1004, 1005, 1006, 1015, 2999, 3000, 5000),
    fc.nat({ max: 65535 }),
  ),
});
type NoisyFrame = typeof noisyFrame extends fc.Arbitrary<infer T> ? T : never;

function noisyBytes(isServer: boolean, f: NoisyFrame): Buffer {
  // Mostly the right masking for the side, sometimes the wrong one.
  const masked = f.flipMask === 0 ? !isServer : isServer;
  let payload = f.payload;
  if (f.opcode === OPCODE.CLOSE && payload.length >= 2) payload.writeUInt16BE(f.closeCode, 0);
  if (f.opcode >= 8) payload = payload.subarray(0, f.length % 130);
  const declared = f.lengthForm === '7' ? Math.min(f.length % 126, 125) : f.length;
  // Declared length close to the real one, so frames sometimes end early and sometimes run into the next.
  const head: number[] = [(f.fin ? 0x80 : 0) | (f.rsv << 4) | f.opcode];
  if (f.lengthForm === '7') head.push((masked ? 0x80 : 0) | declared);
  else if (f.lengthForm === '16') head.push((masked ? 0x80 : 0) | 126, declared >> 8, declared & 0xff);
  else {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(f.high >>> 0, 0);
    b.writeUInt32BE(declared, 4);
    head.push((masked ? 0x80 : 0) | 127, ...b);
  }
  if (masked) head.push(...f.key);
  return Buffer.concat([Buffer.from(head), payload.subarray(0, Math.max(declared, 0) + 3)]);
}

// A valid stream with a few bytes overwritten, inserted or removed: reaches the deep states (inside a
// fragmented message, between control frames) before something breaks.
const mutated = (isServer: boolean) =>
  fc
    .tuple(
      fc.array(message, { minLength: 1, maxLength: 4 }),
      closeFrame,
      fc.array(fc.tuple(fc.constantFrom('set', 'insert', 'delete'), fc.nat(), fc.nat({ max: 255 })), {
        minLength: 1,
        maxLength: 3,
      }),
    )
    .map(([messages, close, edits]) => {
      const bytes = [...buildModel(isServer, messages, close).stream];
      for (const [kind, at, value] of edits) {
        const i = at % (bytes.length + 1);
        if (kind === 'insert') bytes.splice(i, 0, value);
        else if (i < bytes.length) {
          if (kind === 'set') bytes[i] = value;
          else bytes.splice(i, 1);
        }
      }
      return Buffer.from(bytes);
    });

const noise = (isServer: boolean) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 400 }).map((u) => Buffer.from(u)),
    mutated(isServer),
    fc
      .array(noisyFrame, { minLength: 1, maxLength: 8 })
      .map((fs) => Buffer.concat(fs.map((f) => noisyBytes(isServer, f)))),
  );

const SEND_CODES = new Set<number>(Object.values(WS_ERROR_CODES));

function checkOutcome(events: Event[]): void {
  const ends = events.filter((e) => e[0] === 'error' || e[0] === 'close');
  expect(ends.length).toBeLessThanOrEqual(1);
  const last = events.at(-1);
  if (ends.length === 1) expect(last).toBe(ends[0]); // nothing is reported after an error or a close
  if (last?.[0] === 'error') {
    expect(Object.keys(WS_ERROR_CODES)).toContain(last[1]);
    // A receiver error is always something the peer is told with a close frame (not 1006).
    expect(isValidCloseCode(last[2])).toBe(true);
    expect(SEND_CODES).toContain(last[2]);
  }
  if (last?.[0] === 'close') expect(last[1] === 1005 || isValidCloseCode(last[1])).toBe(true);
}

describe('Receiver: random input', () => {
  for (const isServer of [true, false]) {
    it(`${isServer ? 'server' : 'client'}: never throws, ends in at most one error or close, split-invariant`, () => {
      fc.assert(
        fc.property(noise(isServer), cutPoints, (bytes, points) => {
          const whole = run(isServer, [bytes]);
          checkOutcome(whole);
          expect(run(isServer, cut(bytes, points))).toEqual(whole);
        }),
        { ...RUNS, numRuns: 300 },
      );
    });
  }

  it('text frames: a message exactly when TextDecoder accepts the bytes, else one 1007', () => {
    fc.assert(
      fc.property(
        textBytes,
        fc.array(fc.nat({ max: 100 }), { maxLength: 4 }),
        cutPoints,
        (bytes, fragmentCuts, points) => {
          const pieces = cut(bytes, fragmentCuts);
          const stream = Buffer.concat(
            pieces.map((p, i) =>
              encodeFrame(i === 0 ? OPCODE.TEXT : OPCODE.CONTINUATION, p, {
                mask: true,
                fin: i === pieces.length - 1,
              }),
            ),
          );
          const expected: Event[] = decoderAccepts(bytes)
            ? [['message', bytes.toString('hex'), false]]
            : [['error', 'WS_ERR_INVALID_UTF8', 1007]];
          expect(run(true, [stream])).toEqual(expected);
          expect(run(true, cut(stream, points))).toEqual(expected);
        },
      ),
      { ...RUNS, numRuns: 300 },
    );
  });
});
