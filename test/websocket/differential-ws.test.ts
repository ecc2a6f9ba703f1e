// Differential check, server role: seeded random frame sequences (valid and invalid, RFC 6455 5.2-5.6) are
// sent byte for byte to the ws echo server and to pushwire's; both must answer with the same frames (echoes
// and pongs identical on the wire, unmasked server frames being deterministic) and fail with the same close
// code. Sequences whose outcome legitimately differs are not generated: invalid UTF-8 only in a message's
// last frame (pushwire fails fast per frame, ws at the end, see group 6.4), and close codes 1012-1014
// (registered after RFC 6455; ws accepts them).
import { describe, expect, it } from 'vitest';
import { closeCodeOf, closePayload, type FrameSpec, OP } from './support/frame.js';
import type { FrameConn } from './support/frame-conn.js';
import { type Implementation, pushwireImpl, wsImpl } from './support/implementations.js';
import { rawConnect } from './support/raw-client.js';
import { RawServer } from './support/raw-server.js';

const SEQUENCES = 120;
const SEED = 0x5eed_6455;

/** mulberry32: a tiny seeded PRNG, so a failing sequence can be replayed from its index. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Enough valid multi-byte text for the longest message generated (8 frames of 65536 bytes). */
const TEXT = Buffer.from('κόσμε-'.repeat(48_000));

function sequence(index: number): FrameSpec[] {
  const rnd = prng(SEED + index);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const length = (): number => pick([0, 1, 5, 125, 126, 127, 300, 65535, 65536]);
  // The text of one message is consecutive slices of TEXT, so that its fragments may split a code point
  // but their concatenation is always a valid prefix.
  let textAt = 0;
  const text = (n: number): Buffer => TEXT.subarray(textAt, (textAt += n));
  const frames: FrameSpec[] = [];
  let inMessage: number | undefined;
  const count = 1 + Math.floor(rnd() * 8);
  for (let i = 0; i < count; i++) {
    const r = rnd();
    if (r < 0.45) {
      // A data frame (or a continuation when a message is open).
      const binary = rnd() < 0.5;
      const fin = rnd() < 0.6;
      const opcode = inMessage !== undefined ? OP.CONTINUATION : binary ? OP.BINARY : OP.TEXT;
      if (inMessage === undefined) textAt = 0;
      const isText = (inMessage ?? opcode) === OP.TEXT;
      const n = length();
      // A message that ends mid code point is invalid (1007 from both, at its last frame). Only the last
      // frame may also carry a byte invalid in itself.
      let payload = isText ? text(n) : Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
      if (isText && fin && rnd() < 0.2)
        payload = Buffer.concat([payload, Buffer.from([pick([0xc0, 0xed, 0xf5, 0xff])])]);
      frames.push({ opcode, payload, fin });
      inMessage = fin ? undefined : (inMessage ?? opcode);
    } else if (r < 0.65) {
      frames.push({
        opcode: OP.PING,
        payload: Buffer.alloc(pick([0, 3, 125, 125, 126]), 0x70),
        fin: rnd() < 0.95,
      });
    } else if (r < 0.72) {
      frames.push({ opcode: OP.PONG, payload: 'pong' });
    } else if (r < 0.76) {
      frames.push({ opcode: pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), payload: 'x' });
    } else if (r < 0.8) {
      const rsv = pick(['rsv1', 'rsv2', 'rsv3'] as const);
      frames.push({ opcode: pick([OP.TEXT, OP.BINARY, OP.PING]), payload: 'r', [rsv]: true });
    } else if (r < 0.85) {
      frames.push({ opcode: inMessage === undefined ? OP.CONTINUATION : OP.TEXT, payload: 'misplaced' });
      inMessage = undefined;
    } else if (r < 0.96) {
      const code = pick([
        1000, 1001, 1003, 1007, 1011, 3000, 4999, 0, 999, 1004, 1005, 1006, 1015, 2000, 5000,
      ]);
      frames.push({ opcode: OP.CLOSE, payload: rnd() < 0.1 ? Buffer.from([3]) : closePayload(code, 'r') });
    } else {
      frames.push({ opcode: OP.TEXT, payload: 'unmasked', mask: false });
    }
  }
  return frames;
}

interface Outcome {
  frames: string[];
  closeCode: number | undefined | 'none';
}

async function run(url: string, specs: FrameSpec[]): Promise<Outcome> {
  const { conn } = await rawConnect(url);
  try {
    await conn.write(
      Buffer.concat([
        ...specs.map((s) => conn.frame(s)),
        conn.frame({ opcode: OP.CLOSE, payload: closePayload(1000) }),
      ]),
    );
    return await collect(conn);
  } finally {
    conn.destroy();
  }
}

/** Client role: frames from a client are masked with random keys, so compare them unmasked. */
async function runAgainstClient(raw: RawServer, impl: Implementation, specs: FrameSpec[]): Promise<Outcome> {
  const client = impl.connectEchoClient(raw.url);
  const { conn } = await raw.next();
  try {
    await Promise.race([client.opened, client.closed]);
    // What is invalid from a server is the opposite masking: a masked frame (RFC 6455 5.1).
    const frames = specs.map((s) => conn.frame(s.mask === false ? { ...s, mask: true } : s));
    await conn.write(
      Buffer.concat([...frames, conn.frame({ opcode: OP.CLOSE, payload: closePayload(1000) })]),
    );
    return await collect(conn, true);
  } finally {
    client.terminate();
    conn.destroy();
    await client.closed;
  }
}

async function collect(conn: FrameConn, unmasked = false): Promise<Outcome> {
  const frames: string[] = [];
  for (;;) {
    let f: Awaited<ReturnType<FrameConn['nextFrame']>>;
    try {
      f = await conn.nextFrame(3_000);
    } catch {
      return { frames, closeCode: 'none' };
    }
    if (f.opcode === OP.CLOSE) return { frames, closeCode: closeCodeOf(f) };
    const flags = `${f.fin ? 'F' : '-'}${f.rsv1 ? 1 : 0}${f.rsv2 ? 1 : 0}${f.rsv3 ? 1 : 0}${f.masked ? 'M' : '-'}`;
    frames.push(unmasked ? `${f.opcode}${flags}:${f.payload.toString('hex')}` : f.raw.toString('hex'));
  }
}

describe('differential: pushwire server vs ws server on seeded random frame sequences', () => {
  it(`${SEQUENCES} sequences (seed ${SEED.toString(16)}) give the same frames and close code`, async () => {
    const ws = await wsImpl.startEchoServer();
    const ours = await pushwireImpl.startEchoServer();
    const mismatches: string[] = [];
    const codesSeen = new Set<number | undefined | 'none'>();
    let framesSeen = 0;
    try {
      for (let i = 0; i < SEQUENCES; i++) {
        const specs = sequence(i);
        const [a, b] = await Promise.all([run(ws.url, specs), run(ours.url, specs)]);
        codesSeen.add(a.closeCode);
        framesSeen += a.frames.length;
        if (JSON.stringify(a) !== JSON.stringify(b)) {
          const shown = specs.map(
            (s) =>
              `${s.opcode}${s.fin === false ? '' : 'F'}${s.rsv1 || s.rsv2 || s.rsv3 ? 'R' : ''}:${Buffer.from(s.payload ?? '').length}`,
          );
          mismatches.push(
            `#${i} [${shown.join(' ')}] ws=${JSON.stringify({ n: a.frames.length, close: a.closeCode })} pushwire=${JSON.stringify({ n: b.frames.length, close: b.closeCode })}`,
          );
        }
      }
    } finally {
      await ws.close();
      await ours.close();
    }
    expect(mismatches).toEqual([]);
    // The generator must reach every outcome class, or the comparison proves little.
    expect([...codesSeen]).toEqual(expect.arrayContaining([1000, 1002, 1007]));
    expect(framesSeen).toBeGreaterThan(SEQUENCES / 2);
  }, 120_000);
});

describe('differential: pushwire client vs ws client on seeded random frame sequences', () => {
  const CLIENT_SEQUENCES = 60;
  it(`${CLIENT_SEQUENCES} sequences give the same (unmasked) frames and close code`, async () => {
    const raw = await RawServer.start();
    const mismatches: string[] = [];
    let framesSeen = 0;
    try {
      for (let i = 0; i < CLIENT_SEQUENCES; i++) {
        const specs = sequence(1000 + i);
        const a = await runAgainstClient(raw, wsImpl, specs);
        const b = await runAgainstClient(raw, pushwireImpl, specs);
        framesSeen += a.frames.length;
        if (JSON.stringify(a) !== JSON.stringify(b)) {
          mismatches.push(
            `#${1000 + i} ws=${JSON.stringify(a).slice(0, 300)} pushwire=${JSON.stringify(b).slice(0, 300)}`,
          );
        }
      }
    } finally {
      await raw.close();
    }
    expect(mismatches).toEqual([]);
    expect(framesSeen).toBeGreaterThan(CLIENT_SEQUENCES / 2);
  }, 120_000);
});
