// Property tests for the receiver (DESIGN.md layer 7, bounded runs): however the byte stream is cut into
// chunks, the events are the same; and arbitrary bytes never throw, only report through the sink.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, OPCODE } from '../src/frame.js';
import { Receiver, type ReceiverLimits } from '../src/receiver.js';

const LIMITS: ReceiverLimits = { maxPayload: 1 << 20, maxFragments: 1000, maxBufferedChunks: 100_000 };

function run(stream: Buffer, cuts: number[], isServer: boolean): string[] {
  const events: string[] = [];
  const receiver = new Receiver(
    {
      onMessage: (d, b) => events.push(`m:${b}:${d.toString('hex')}`),
      onPing: (d) => events.push(`ping:${d.toString('hex')}`),
      onPong: (d) => events.push(`pong:${d.toString('hex')}`),
      onClose: (c, r) => events.push(`close:${c}:${r.toString('hex')}`),
      onError: (e) => events.push(`error:${e.code}`),
    },
    isServer,
    LIMITS,
  );
  // The receiver unmasks in place, so every run gets its own copy.
  const copy = Buffer.from(stream);
  let start = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < copy.length)].sort((a, b) => a - b)) {
    receiver.write(copy.subarray(start, cut));
    start = cut;
  }
  receiver.write(copy.subarray(start));
  return events;
}

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const message = fc.oneof(
  text.map((t) => ({ kind: 'text' as const, parts: [Buffer.from(t)] })),
  fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 }).map((parts) => ({
    kind: 'binary' as const,
    parts: parts.map((p) => Buffer.from(p)),
  })),
  fc.uint8Array({ maxLength: 125 }).map((p) => ({ kind: 'ping' as const, parts: [Buffer.from(p)] })),
);

function encode(messages: { kind: 'text' | 'binary' | 'ping'; parts: Buffer[] }[], mask: boolean): Buffer {
  const frames: Buffer[] = [];
  for (const m of messages) {
    if (m.kind === 'ping') {
      frames.push(encodeFrame(OPCODE.PING, m.parts[0]!, { mask }));
      continue;
    }
    m.parts.forEach((p, i) => {
      const opcode = i === 0 ? (m.kind === 'text' ? OPCODE.TEXT : OPCODE.BINARY) : OPCODE.CONTINUATION;
      frames.push(encodeFrame(opcode, p, { mask, fin: i === m.parts.length - 1 }));
    });
  }
  return Buffer.concat(frames);
}

describe('Receiver properties', () => {
  it('events do not depend on how the stream is chunked (both roles)', () => {
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 8 }),
        fc.array(fc.nat({ max: 4000 }), { maxLength: 30 }),
        fc.boolean(),
        (messages, cuts, isServer) => {
          const stream = encode(messages, isServer);
          const whole = run(stream, [], isServer);
          expect(whole.filter((e) => e.startsWith('error'))).toEqual([]);
          expect(run(stream, cuts, isServer)).toEqual(whole);
        },
      ),
      { numRuns: 300, seed: 6455 },
    );
  });

  it('arbitrary bytes never throw; at most one error, and nothing after it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, isServer) => {
        const events = run(Buffer.from(bytes), [7, 50, 300], isServer);
        const firstError = events.findIndex((e) => e.startsWith('error') || e.startsWith('close'));
        if (firstError !== -1) expect(firstError).toBe(events.length - 1);
      }),
      { numRuns: 2000, seed: 7692 },
    );
  });
});
