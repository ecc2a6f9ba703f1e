// The release of idle zlib streams (idle.ts) and the lazy streams it works with (codec.ts).
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { compress, decompress, pair, useDeflateCleanup } from './support.js';

useDeflateCleanup();

describe('memory: lazy streams and idle release', () => {
  it('creates no zlib stream before the first message', () => {
    const { server, client } = pair();
    expect(server.zlibStreams).toBe(0);
    expect(client.zlibStreams).toBe(0);
  });

  it('releases an idle compressor and keeps context takeover through a preset dictionary', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    const { server, client } = pair({ idleTimeout: 4321 });
    const first = await compress(server, 'Hello');
    expect(server.zlibStreams).toBe(1);
    vi.advanceTimersByTime(4321); // first tick: was touched, now marked untouched
    expect(server.zlibStreams).toBe(1);
    vi.advanceTimersByTime(4321); // second tick: idle for a whole interval
    expect(server.zlibStreams).toBe(0);
    // The recreated compressor still refers to the first "Hello": the 7.2.3.2 bytes.
    const second = await compress(server, 'Hello');
    expect(second.toString('hex')).toBe('f200110000');
    expect((await decompress(client, first)).toString()).toBe('Hello');
    expect((await decompress(client, second)).toString()).toBe('Hello');
  });

  it('keeps a stream in use, releases it when idle, and the context survives on both sides', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    const { server, client } = pair({ idleTimeout: 4322 }, { idleTimeout: 4322 });
    await decompress(server, await compress(client, 'Hello'));
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(4322);
      await decompress(server, await compress(client, 'Hello'));
      expect(server.zlibStreams).toBe(1);
      expect(client.zlibStreams).toBe(1);
    }
    vi.advanceTimersByTime(4322 * 2);
    expect(server.zlibStreams).toBe(0);
    expect(client.zlibStreams).toBe(0);
    // The client's recreated compressor refers to a previous "Hello" (a 4- or 5-byte match block, like
    // 7.2.3.2's f2 00 11 00 00, against 7 bytes for a fresh one), and the server's recreated inflater
    // resolves it from its preset dictionary.
    const again = await compress(client, 'Hello');
    expect(again.length).toBeLessThanOrEqual(5);
    expect((await decompress(server, again)).toString()).toBe('Hello');
  });

  it('an inflater recreated after idle resolves references a whole window back', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    // The compressor never idles (idleTimeout 0): it refers as far back as its 32 KB window allows.
    const { server, client } = pair({ idleTimeout: 4325 }, { idleTimeout: 0 });
    const block = randomBytes(20_000);
    const first = Buffer.concat([block, randomBytes(10_000)]);
    expect((await decompress(server, await compress(client, first))).equals(first)).toBe(true);
    vi.advanceTimersByTime(4325 * 2);
    expect(server.zlibStreams).toBe(0);
    const second = Buffer.concat([block, Buffer.from('tail')]);
    const out = await compress(client, second);
    expect(out.length).toBeLessThan(1000); // it did refer back ~30 KB
    expect((await decompress(server, out)).equals(second)).toBe(true);
  });

  it('releases the inflater when the peer does not take over context', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    const { server, client } = pair({ idleTimeout: 4323, clientNoContextTakeover: true });
    expect(server.params).toEqual({ client_no_context_takeover: true });
    await decompress(server, await compress(client, 'Hello'));
    expect(server.zlibStreams).toBe(1);
    vi.advanceTimersByTime(4323 * 2);
    expect(server.zlibStreams).toBe(0);
    expect((await decompress(server, await compress(client, 'Hello'))).toString()).toBe('Hello');
  });

  it('does not release an inflater in the middle of a fragmented message', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    const { server, client } = pair({ idleTimeout: 4324, clientNoContextTakeover: true });
    const f1 = await compress(client, 'Hello, ', false);
    const f2 = await compress(client, 'world', true);
    const a = await decompress(server, f1, false);
    vi.advanceTimersByTime(4324 * 3);
    expect(server.zlibStreams).toBe(1);
    const b = await decompress(server, f2, true);
    expect(Buffer.concat([a, b]).toString()).toBe('Hello, world');
  });

  it('uses one shared timer for all connections with the same idleTimeout, none when nothing is live', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    expect(vi.getTimerCount()).toBe(0);
    const pairs = Array.from({ length: 50 }, () => pair({ idleTimeout: 4326 }, { idleTimeout: 4326 }));
    expect(vi.getTimerCount()).toBe(0); // nothing live yet: no timer at all
    for (const { server, client } of pairs) await decompress(client, await compress(server, 'Hello'));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(4326 * 2);
    for (const { server, client } of pairs) expect(server.zlibStreams + client.zlibStreams).toBe(0);
    expect(vi.getTimerCount()).toBe(0); // the last release stopped the interval
  });

  it('idleTimeout 0 keeps streams until cleanup', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    const { server } = pair({ idleTimeout: 0 });
    await compress(server, 'Hello');
    vi.advanceTimersByTime(3_600_000);
    expect(server.zlibStreams).toBe(1);
    server.cleanup();
    expect(server.zlibStreams).toBe(0);
  });
});
