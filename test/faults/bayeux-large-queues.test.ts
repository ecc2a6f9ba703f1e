// Issue 8 items 2 and 3, as regression tests sized for CI.
// - Fan-out: one large publish to many websocket subscribers used to build a separate string and Buffer per
//   subscriber (each socket flush joined the client's queue): 1 MB to 1,000 subscribers took +966 MB. Now
//   the same payload Buffer object is written to every subscriber's socket.
// - A long-polling client with 600 x 1 MB queued got HTTP 500 (`RangeError: Invalid string length` while
//   encoding one 600 MB reply) and then lost everything. Now a reply carries at most maxReplyBytes of
//   messages and the rest waits, in order, for the next connects; queues are bounded in bytes too.
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { postBayeux, quietPollingClient, RawBayeuxWs, useBayeuxHarness } from './bayeux-support.js';
import { until, within } from './support.js';

const fx = useBayeuxHarness();

/** A connect answered at once (advice.timeout 0) with whatever fits. */
const poll = (clientId: string) =>
  postBayeux(fx.h.port, [
    { channel: '/meta/connect', clientId, connectionType: 'long-polling', advice: { timeout: 0 } },
  ]);

/** The encoded size of a server publish of `data` on `channel` (what the queue counts). */
const sizeOf = (channel: string, data: unknown): number =>
  Buffer.byteLength(JSON.stringify({ channel, data }));

describe('a large backlog reaches a long-polling client over several connects (maxReplyBytes)', () => {
  it('every message arrives, in order, none lost, no reply over the bound', async () => {
    const maxReplyBytes = 256 * 1024;
    const count = 200;
    const pad = 'x'.repeat(16 * 1024);
    await fx.start({ maxReplyBytes, maxQueueBytes: 8 * 1024 * 1024 });
    const errors: unknown[] = [];
    fx.h.bayeux.on('error', ({ error }) => errors.push(error));
    const clientId = await quietPollingClient(fx.h.port, '/big');
    for (let i = 0; i < count; i++) await fx.h.bayeux.publish('/big', { i, pad });
    const got: number[] = [];
    let connects = 0;
    while (got.length < count) {
      const { replies, bytes } = await poll(clientId);
      connects++;
      expect(connects).toBeLessThan(count); // progress on every connect
      // The messages it carries fit the bound; the connect reply itself is a few hundred bytes more.
      expect(bytes).toBeLessThanOrEqual(maxReplyBytes + 512);
      const data = replies.filter((m) => m.channel === '/big').map((m) => (m.data as { i: number }).i);
      expect(data.length).toBeGreaterThan(0);
      got.push(...data);
      expect(replies.at(-1)).toMatchObject({ channel: '/meta/connect', successful: true });
    }
    expect(got).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(connects).toBeGreaterThanOrEqual(Math.ceil((count * 16 * 1024) / maxReplyBytes));
    expect(errors).toEqual([]);
    // Nothing left behind.
    const { replies } = await poll(clientId);
    expect(replies.map((m) => m.channel)).toEqual(['/meta/connect']);
  });

  it('maxReplyBytes crossed by one: two messages fit exactly, one byte less and they go one per reply', async () => {
    const a = { i: 0, pad: 'a'.repeat(1000) };
    const b = { i: 1, pad: 'b'.repeat(1000) };
    const exact = sizeOf('/big', a) + sizeOf('/big', b);
    for (const [maxReplyBytes, perReply] of [
      [exact, [[0, 1]]],
      [exact - 1, [[0], [1]]],
    ] as const) {
      await fx.start({ maxReplyBytes });
      const clientId = await quietPollingClient(fx.h.port, '/big');
      await fx.h.bayeux.publish('/big', a);
      await fx.h.bayeux.publish('/big', b);
      const seen: number[][] = [];
      for (let k = 0; k < perReply.length; k++) {
        const { replies } = await poll(clientId);
        seen.push(replies.filter((m) => m.channel === '/big').map((m) => (m.data as { i: number }).i));
      }
      expect(seen).toEqual(perReply);
      await fx.stop();
    }
  });

  it('a single message larger than maxReplyBytes still goes (alone)', async () => {
    await fx.start({ maxReplyBytes: 100 });
    const clientId = await quietPollingClient(fx.h.port, '/big');
    await fx.h.bayeux.publish('/big', 'y'.repeat(500));
    await fx.h.bayeux.publish('/big', 'small');
    expect((await poll(clientId)).replies.map((m) => m.data ?? m.channel)).toEqual([
      'y'.repeat(500),
      '/meta/connect',
    ]);
    expect((await poll(clientId)).replies.map((m) => m.data ?? m.channel)).toEqual([
      'small',
      '/meta/connect',
    ]);
  });
});

describe('queues bounded in bytes (maxQueueBytes)', () => {
  it("drop-oldest crossed by one byte: the oldest goes, and the 'drop' event says so", async () => {
    const m = (i: number) => ({ i, pad: 'z'.repeat(100) });
    const size = sizeOf('/q', m(0));
    await fx.start({ maxQueueBytes: 3 * size, queuePolicy: 'drop-oldest' });
    const drops: unknown[] = [];
    fx.h.bayeux.on('drop', (e) => drops.push(e));
    const clientId = await quietPollingClient(fx.h.port, '/q');
    for (let i = 0; i < 3; i++) await fx.h.bayeux.publish('/q', m(i));
    expect(drops).toEqual([]);
    await fx.h.bayeux.publish('/q', m(3));
    expect(drops).toEqual([{ clientId, dropped: 1, bytes: size, limit: 'maxQueueBytes' }]);
    const { replies } = await poll(clientId);
    expect(replies.filter((r) => r.channel === '/q').map((r) => (r.data as { i: number }).i)).toEqual([
      1, 2, 3,
    ]);
  });

  it("disconnect crossed by one byte: the client is dropped as 'slow', the event counts what was lost", async () => {
    const m = (i: number) => ({ i, pad: 'z'.repeat(100) });
    const size = sizeOf('/q', m(0));
    await fx.start({ maxQueueBytes: 2 * size + 1, queuePolicy: 'disconnect' });
    const gone: unknown[] = [];
    fx.h.bayeux.on('disconnect', (e) => gone.push(e));
    const clientId = await quietPollingClient(fx.h.port, '/q');
    await fx.h.bayeux.publish('/q', m(0));
    await fx.h.bayeux.publish('/q', m(1));
    await fx.h.bayeux.publish('/q', 1); // ~24 bytes: more than the one byte left
    await until(() => gone.length === 1, 5000, 'slow client dropped');
    expect(gone).toEqual([{ clientId, reason: 'slow', lost: { dropped: 2, bytes: 2 * size } }]);
  });
});

describe('fan-out writes shared frames', () => {
  it('one 1 MB publish to 200 websocket subscribers: the same Buffer reaches every socket, bytes exact', async () => {
    await fx.start({ maxMessageSize: 2 * 1024 * 1024 });
    const subscribers = 200;
    const clients: RawBayeuxWs[] = [];
    for (let i = 0; i < subscribers; i++) {
      const c = await RawBayeuxWs.open(fx.h.port);
      fx.track(c);
      clients.push(c);
      await c.join('/fan');
    }
    // Every server-side socket's writes, by object.
    const written = new Map<Socket, Buffer[]>();
    for (const s of fx.h.serverSockets) {
      const chunks: Buffer[] = [];
      written.set(s, chunks);
      const write = s.write.bind(s) as (...args: unknown[]) => boolean;
      s.write = ((chunk: unknown, ...rest: unknown[]) => {
        if (Buffer.isBuffer(chunk)) chunks.push(chunk);
        return write(chunk, ...rest);
      }) as typeof s.write;
    }
    const payload = 'p'.repeat(1024 * 1024);
    expect(await fx.h.bayeux.publish('/fan', payload)).toBe(subscribers);
    await within(
      Promise.all(
        clients.map((c) =>
          c.waitFrame(
            (f) => f.kind === 'messages' && f.messages.some((m) => m.channel === '/fan'),
            'the 1 MB push',
            15_000,
          ),
        ),
      ),
      20_000,
      'every subscriber got the publish',
    );
    // Byte-correct at every subscriber.
    for (const c of clients) expect(c.data('/fan')).toEqual([payload]);
    // The large chunks written: ONE Buffer object, the same on every socket (no per-subscriber copy).
    const large = new Set<Buffer>();
    let sockets = 0;
    for (const chunks of written.values()) {
      const big = chunks.filter((b) => b.length >= 1024 * 1024);
      if (big.length === 0) continue;
      sockets++;
      for (const b of big) large.add(b);
    }
    expect(sockets).toBe(subscribers);
    expect(large.size).toBe(1);
  }, 60_000);
});
