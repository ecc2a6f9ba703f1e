import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { PerMessageDeflate } from '../../src/deflate/codec.js';
import type { PerMessageDeflateOptions } from '../../src/deflate/params.js';
import { sharedZlibLimiter } from '../../src/deflate/zlib-limiter.js';
import { WebSocketError } from '../../src/errors.js';
import type { ExtensionParams } from '../../src/extension-header.js';
import { compress, decompress, pair, track, useDeflateCleanup } from './support.js';

const TRAILER = Buffer.from('0000ffff', 'hex');
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

useDeflateCleanup();

function single(
  options: PerMessageDeflateOptions,
  isServer: boolean,
  params: ExtensionParams,
  max = 1 << 20,
) {
  const pmd = new PerMessageDeflate(options, isServer, max);
  if (isServer) pmd.accept([params]);
  else pmd.acceptResponse([params]);
  track(pmd);
  return pmd;
}

async function rejection(promise: Promise<unknown>): Promise<WebSocketError> {
  try {
    await promise;
  } catch (err) {
    return err as WebSocketError;
  }
  throw new Error('expected a rejection');
}

/** An inflater that enforces its window: small output chunks make zlib look back through its window. */
function strictInflate(data: Buffer, windowBits: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const inflate = zlib.createInflateRaw({ windowBits, chunkSize: 64 });
    const chunks: Buffer[] = [];
    inflate.on('data', (c: Buffer) => chunks.push(c));
    inflate.on('error', reject);
    inflate.write(Buffer.concat([data, TRAILER]));
    inflate.flush(() => resolve(Buffer.concat(chunks)));
  });
}

describe('RFC 7692 7.2.3 examples', () => {
  it('7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00', async () => {
    const { server, client } = pair();
    const out = await compress(server, 'Hello');
    expect(out.toString('hex')).toBe('f248cdc9c90700');
    expect((await decompress(client, out)).toString()).toBe('Hello');
  });

  it('7.2.3.2: with context takeover the second "Hello" is f2 00 11 00 00', async () => {
    const { server, client } = pair();
    const first = await compress(server, 'Hello');
    const second = await compress(server, 'Hello');
    expect(second.toString('hex')).toBe('f200110000');
    expect((await decompress(client, first)).toString()).toBe('Hello');
    expect((await decompress(client, second)).toString()).toBe('Hello');
  });

  it('7.2.3.2: without context takeover the second "Hello" is compressed afresh', async () => {
    const { server, client } = pair({}, { serverNoContextTakeover: true });
    expect(server.params).toEqual({ server_no_context_takeover: true });
    expect((await compress(server, 'Hello')).toString('hex')).toBe('f248cdc9c90700');
    const second = await compress(server, 'Hello');
    expect(second.toString('hex')).toBe('f248cdc9c90700');
    expect((await decompress(client, second)).toString()).toBe('Hello');
  });

  it('7.2.3.2: a client with client_no_context_takeover compresses each "Hello" afresh', async () => {
    const { server, client } = pair({}, { clientNoContextTakeover: true });
    expect(client.negotiated.deflateNoContextTakeover).toBe(true);
    for (let i = 0; i < 3; i++) {
      const out = await compress(client, 'Hello');
      expect(out.toString('hex')).toBe('f248cdc9c90700');
      expect((await decompress(server, out)).toString()).toBe('Hello');
    }
  });

  it('7.2.3.1: a compressed message split over two frames', async () => {
    const { client } = pair();
    const a = await decompress(client, hex('f2 48 cd'), false);
    const b = await decompress(client, hex('c9 c9 07 00'), true);
    expect(Buffer.concat([a, b]).toString()).toBe('Hello');
  });

  it('7.2.3.3: a stored (uncompressed) deflate block', async () => {
    const { client } = pair();
    expect((await decompress(client, hex('00 05 00 fa ff 48 65 6c 6c 6f 00'))).toString()).toBe('Hello');
  });

  it('7.2.3.5: two deflate blocks in one message', async () => {
    const { client } = pair();
    expect((await decompress(client, hex('f2 48 05 00 00 00 ff ff ca c9 c9 07 00'))).toString()).toBe(
      'Hello',
    );
  });

  it('7.2.3.6: an empty message is 00 both ways', async () => {
    const { server, client } = pair();
    expect((await compress(server, Buffer.alloc(0))).toString('hex')).toBe('00');
    expect(await decompress(client, hex('00'))).toHaveLength(0);
  });
});

describe('round trips', () => {
  const payloads: Array<[string, Buffer]> = [
    ['1 byte', Buffer.from('x')],
    ['text 2 KB', Buffer.from('{"channel":"/chat","data":{"text":"hello"}}'.repeat(50))],
    ['random 100 KB', randomBytes(100 * 1024)],
    ['zeros 1 MiB', Buffer.alloc(1 << 20)],
  ];
  for (const takeover of [true, false]) {
    for (const [name, payload] of payloads) {
      it(`${name}, ${takeover ? 'with' : 'without'} context takeover, both directions, three times`, async () => {
        const noTakeover = !takeover;
        const { server, client } = pair(
          {},
          { serverNoContextTakeover: noTakeover, clientNoContextTakeover: noTakeover },
        );
        for (let i = 0; i < 3; i++) {
          const down = await compress(server, payload);
          expect((await decompress(client, down)).equals(payload)).toBe(true);
          const up = await compress(client, payload);
          expect((await decompress(server, up)).equals(payload)).toBe(true);
        }
      });
    }
  }

  it('keeps message order when calls are not awaited (one zlib job per direction at a time)', async () => {
    const { server, client } = pair();
    const messages = Array.from({ length: 40 }, (_, i) => Buffer.from(`message ${i} `.repeat(i + 1)));
    const compressed = await Promise.all(messages.map((m) => compress(server, m)));
    const inflated = await Promise.all(compressed.map((c) => decompress(client, c)));
    expect(inflated.map(String)).toEqual(messages.map(String));
  });

  it('compresses a fragmented message frame by frame; only the last frame loses the trailer', async () => {
    const { server, client } = pair();
    const parts = ['Hello, ', 'fragmented ', 'world'].map((s) => Buffer.from(s.repeat(20)));
    const f1 = await compress(server, parts[0]!, false);
    const f2 = await compress(server, parts[1]!, false);
    const f3 = await compress(server, parts[2]!, true);
    expect(f1.subarray(-4).equals(TRAILER)).toBe(true);
    expect(f2.subarray(-4).equals(TRAILER)).toBe(true);
    expect(f3.subarray(-4).equals(TRAILER)).toBe(false);
    const out = Buffer.concat([
      await decompress(client, f1, false),
      await decompress(client, f2, false),
      await decompress(client, f3, true),
    ]);
    expect(out.equals(Buffer.concat(parts))).toBe(true);
    // The next message still uses (and matches) the shared context.
    const next = await compress(server, parts[0]!);
    expect(next.length).toBeLessThan(10);
    expect((await decompress(client, next)).equals(parts[0]!)).toBe(true);
  });

  it('an empty final frame after compressed fragments is valid', async () => {
    const { server, client } = pair();
    const f1 = await compress(server, 'Hello', false);
    const f2 = await compress(server, Buffer.alloc(0), true);
    const out = Buffer.concat([await decompress(client, f1, false), await decompress(client, f2, true)]);
    expect(out.toString()).toBe('Hello');
  });
});

describe('window bits', () => {
  // Random blocks repeated at a distance of `distance` bytes: a compressor that honours a window smaller
  // than the distance cannot use back-references for the repeats.
  const repeated = (distance: number): Buffer => {
    const block = randomBytes(distance);
    return Buffer.concat([block, block, block]);
  };

  for (let bits = 9; bits <= 15; bits++) {
    it(`a compressor limited to ${bits} bits stays within its window`, async () => {
      const pmd = single({}, true, { server_max_window_bits: String(bits) });
      // zlib matches reach at most the window minus MIN_LOOKAHEAD (262 bytes) back.
      const near = Math.floor(((1 << bits) - 262) * 0.8);
      const data = Buffer.concat([repeated(near), repeated((1 << bits) + 100)]);
      const out = await compress(pmd, data);
      // zlib, inflating with exactly `bits`, rejects any distance beyond the window.
      expect((await strictInflate(out, bits)).equals(data)).toBe(true);
      // And the window is actually used: the near repeats are compressed.
      expect(out.length).toBeLessThan(data.length - near);
    });
  }

  it('a 15-bit stream fails a 9-bit strict inflater (the check above can fail)', async () => {
    const pmd = single({}, true, {});
    const out = await compress(pmd, repeated(2000));
    await expect(strictInflate(out, 9)).rejects.toThrow(/too far back/);
  });

  it('8 bits: Z_RLE never references more than one byte back', async () => {
    const pmd = single({}, true, { server_max_window_bits: '8' });
    const data = repeated(200);
    const out = await compress(pmd, data);
    // No match at distance 200 was used (a 9-bit compressor would take ~1/3 of the size) ...
    expect(out.length).toBeGreaterThan(data.length * 0.9);
    // ... but runs still compress (distance 1).
    const runs = Buffer.alloc(5000, 0x61);
    expect((await compress(pmd, runs)).length).toBeLessThan(50);
    const client = single({}, false, { server_max_window_bits: '8' });
    expect((await decompress(client, out)).equals(data)).toBe(true);
  });

  it('a client told client_max_window_bits=8 compresses with Z_RLE, which the server inflates', async () => {
    const { server, client } = pair({}, { clientMaxWindowBits: undefined });
    const c8 = single({}, false, { client_max_window_bits: '8' });
    const s8 = single({}, true, { client_max_window_bits: '8' });
    const text = Buffer.from('abcabcabc'.repeat(100));
    expect((await decompress(s8, await compress(c8, text))).equals(text)).toBe(true);
    expect(server.negotiated.inflateBits).toBe(15);
    expect(client.negotiated.deflateBits).toBe(15);
  });
});

describe('maxPayload (1009) and invalid data (1007)', () => {
  it('accepts a message of exactly maxPayload bytes and refuses one byte more', async () => {
    const max = 10_000;
    const { server, client } = pair({}, {}, max);
    const ok = Buffer.alloc(max, 0x41);
    expect((await decompress(client, await compress(server, ok))).length).toBe(max);
    const { server: s2, client: c2 } = pair({}, {}, max);
    const err = await rejection(decompress(c2, await compress(s2, Buffer.alloc(max + 1, 0x41))));
    expect(err).toBeInstanceOf(WebSocketError);
    expect(err.code).toBe('WS_ERR_MESSAGE_TOO_BIG');
    expect(err.closeCode).toBe(1009);
  });

  it('counts the cap across the frames of one message, and restarts it per message', async () => {
    const max = 1000;
    const { server, client } = pair({}, {}, max);
    // Two messages of 600 bytes: each is under the cap.
    for (let i = 0; i < 2; i++) {
      const out = await decompress(client, await compress(server, Buffer.alloc(600, 0x42)));
      expect(out.length).toBe(600);
    }
    // One message of two 600-byte frames is over it.
    const f1 = await compress(server, Buffer.alloc(600, 0x43), false);
    const f2 = await compress(server, Buffer.alloc(600, 0x43), true);
    expect((await decompress(client, f1, false)).length).toBe(600);
    const err = await rejection(decompress(client, f2, true));
    expect(err.code).toBe('WS_ERR_MESSAGE_TOO_BIG');
  });

  it('maxPayload 0 means no cap', async () => {
    const { server, client } = pair({}, {}, 0);
    const big = Buffer.alloc(3 << 20, 1);
    expect((await decompress(client, await compress(server, big))).length).toBe(big.length);
  });

  it('refuses a zip bomb fast: inflating stops as soon as the cap is crossed', async () => {
    const bomb = zlib.deflateRawSync(Buffer.alloc(64 << 20), { level: 9 });
    expect(bomb.length).toBeLessThan(100_000);
    // Count what zlib inflates for the codec (the same zlib object the codec calls): work, not time, so
    // the check holds on a loaded machine.
    let inflated = 0;
    const real = zlib.createInflateRaw;
    const spy = vi.spyOn(zlib, 'createInflateRaw').mockImplementation((options) => {
      const stream = real(options);
      stream.on('data', (chunk: Buffer) => {
        inflated += chunk.length;
      });
      return stream;
    });
    try {
      const capped = single({}, false, {}, 1 << 20);
      const err = await rejection(decompress(capped, bomb));
      expect(err.code).toBe('WS_ERR_MESSAGE_TOO_BIG');
      expect(spy).toHaveBeenCalled();
      // Inflating stopped within a few zlib chunks (16 KiB each) past the 1 MiB cap, not at 64 MiB.
      expect(inflated).toBeGreaterThan(1 << 20);
      expect(inflated).toBeLessThan((1 << 20) + 256 * 1024);
      // The broken stream was dropped; the connection is expected to close, but nothing leaks or throws.
      expect(capped.zlibStreams).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });

  it('reports invalid compressed data as WS_ERR_INFLATE_FAILED (1007), then starts afresh', async () => {
    const client = single({}, false, {});
    // BTYPE 11 is reserved (RFC 1951 3.2.3).
    const err = await rejection(decompress(client, hex('ff ff ff ff')));
    expect(err).toBeInstanceOf(WebSocketError);
    expect(err.code).toBe('WS_ERR_INFLATE_FAILED');
    expect(err.closeCode).toBe(1007);
    expect(err.message).toMatch(/invalid block type/);
    expect(client.zlibStreams).toBe(0);
    expect((await decompress(client, hex('f2 48 cd c9 c9 07 00'))).toString()).toBe('Hello');
  });

  it('a reference before the start of the window fails (no context to refer to)', async () => {
    const client = single({}, false, {});
    // The second "Hello" of 7.2.3.2 refers to the first, which this inflater never saw.
    const err = await rejection(decompress(client, hex('f2 00 11 00 00')));
    expect(err.code).toBe('WS_ERR_INFLATE_FAILED');
  });
});

describe('zlib concurrency', () => {
  it('never runs more jobs than concurrencyLimit across instances, in FIFO order', async () => {
    const limit = 3;
    const limiter = sharedZlibLimiter(limit);
    const add = limiter.add.bind(limiter);
    let active = 0;
    let peak = 0;
    const spy = vi.spyOn(limiter, 'add').mockImplementation((job) =>
      add((done) => {
        active++;
        peak = Math.max(peak, active);
        let called = false;
        job(() => {
          if (!called) {
            called = true;
            active--;
          }
          done();
        });
      }),
    );
    try {
      const pmds = Array.from({ length: 12 }, () => single({ concurrencyLimit: limit }, true, {}));
      const payload = randomBytes(64 * 1024);
      const jobs = pmds.map((p) => compress(p, payload));
      expect(limiter.running).toBe(limit);
      expect(limiter.pending).toBe(12 - limit);
      const results = await Promise.all(jobs);
      expect(peak).toBe(limit);
      expect(limiter.running).toBe(0);
      const client = single({}, false, {});
      expect((await decompress(client, results[0]!)).equals(payload)).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('compressionKey (compress once for many connections)', () => {
  it('is null with context takeover', () => {
    expect(single({}, true, {}).compressionKey).toBeNull();
    expect(single({}, false, {}).compressionKey).toBeNull();
  });

  it('is equal for equal settings without context takeover, and the output is then identical', async () => {
    const a = single({ serverNoContextTakeover: true }, true, {});
    const b = single({}, true, { server_no_context_takeover: true });
    const c = single({ serverNoContextTakeover: true, level: 1 }, true, {});
    const d = single({ serverNoContextTakeover: true }, true, { server_max_window_bits: '10' });
    expect(a.compressionKey).not.toBeNull();
    expect(a.compressionKey).toBe(b.compressionKey);
    expect(c.compressionKey).not.toBe(a.compressionKey);
    expect(d.compressionKey).not.toBe(a.compressionKey);
    const text = Buffer.from('{"channel":"/news","data":"x"}'.repeat(100));
    // b has history from another message: without takeover it must not matter.
    await compress(b, randomBytes(5000));
    const [fromA, fromB] = [await compress(a, text), await compress(b, text)];
    expect(fromA.equals(fromB)).toBe(true);
    const client = single({}, false, { server_no_context_takeover: true });
    expect((await decompress(client, fromA)).equals(text)).toBe(true);
    expect((await decompress(client, fromB)).equals(text)).toBe(true);
  });
});

describe('cleanup', () => {
  it('fails queued and later jobs with WS_ERR_NOT_OPEN, exactly once each', async () => {
    const { server } = pair();
    const calls: Array<Error | null> = [];
    const payload = randomBytes(256 * 1024);
    for (let i = 0; i < 3; i++) server.compress(payload, true, (err) => calls.push(err));
    server.cleanup();
    expect(calls).toHaveLength(3);
    for (const err of calls) expect((err as WebSocketError).code).toBe('WS_ERR_NOT_OPEN');
    const late = await rejection(compress(server, 'late'));
    expect(late.code).toBe('WS_ERR_NOT_OPEN');
    const lateIn = await rejection(decompress(server, hex('00')));
    expect(lateIn.code).toBe('WS_ERR_NOT_OPEN');
    // Let any zlib work still in flight finish: the callbacks must not fire again.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toHaveLength(3);
    expect(server.zlibStreams).toBe(0);
  });

  it('frees the limiter slots of cleaned-up jobs', async () => {
    const limiter = sharedZlibLimiter(2);
    const pmds = Array.from({ length: 4 }, () => single({ concurrencyLimit: 2 }, true, {}));
    const results: Array<Error | null> = [];
    for (const p of pmds) p.compress(randomBytes(128 * 1024), true, (err) => results.push(err));
    for (const p of pmds) p.cleanup();
    expect(results).toHaveLength(4);
    // Jobs that never started run as no-ops when their turn comes; nothing stays held.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(limiter.running).toBe(0);
    expect(limiter.pending).toBe(0);
    const fresh = single({ concurrencyLimit: 2 }, true, {});
    expect((await compress(fresh, 'Hello')).toString('hex')).toBe('f248cdc9c90700');
  });
});
