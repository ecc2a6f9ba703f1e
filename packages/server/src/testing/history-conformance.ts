// Engine conformance, history (issue 9): positions assigned at publish, recovery atomic with the
// subscription, every bound crossed by one. Part of engineConformance (every engine runs it).

import { describe, expect, it, vi } from 'vitest';
import type { Engine, HistoryLimits, HistoryPosition, PositionTemplate } from '../engine/engine.js';
import { encodePosition } from '../engine/engine.js';
import { type ConformanceContext, useEngineFakeTimers } from './conformance-context.js';

export const LIMITS: HistoryLimits = { size: 100, ttl: 3_600_000, maxBytes: 1024 * 1024, maxRecovery: 100 };

/** The template the server builds: `ext.history` last, so the text ends in `"history":0}}`. */
function template(channel: string, data: unknown): PositionTemplate {
  const text = JSON.stringify({ channel, data, ext: { history: 0 } });
  return { head: text.slice(0, -3), tail: '}}' };
}

interface Stored {
  channel: string;
  data: unknown;
  ext: { history: HistoryPosition };
}

const parse = (texts: string[]): Stored[] => texts.map((t) => JSON.parse(t) as Stored);
const dataOf = (texts: string[]): unknown[] => parse(texts).map((m) => m.data);

export function historyConformance(ctx: ConformanceContext): void {
  async function pub(
    engine: Engine,
    channel: string,
    data: unknown,
    limits: HistoryLimits = LIMITS,
  ): Promise<{ count: number; position: HistoryPosition }> {
    return engine.publishHistory({ channel, data }, template(channel, data), limits);
  }

  describe('history', () => {
    it('assigns offsets 1, 2, 3 in one epoch; the stored and queued text carries the position', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      await engine.subscribe(id, '/h');
      const positions: HistoryPosition[] = [];
      for (const n of [1, 2, 3]) {
        const r = await pub(engine, '/h', n);
        expect(r.count).toBe(1);
        positions.push(r.position);
      }
      expect(positions.map((p) => p.offset)).toEqual([1, 2, 3]);
      const epoch = positions[0]?.epoch as string;
      expect(typeof epoch).toBe('string');
      expect(epoch.length).toBeGreaterThan(0);
      expect(epoch.length).toBeLessThanOrEqual(64);
      expect(new Set(positions.map((p) => p.epoch)).size).toBe(1);
      const queued = await engine.takeQueue(id);
      // Byte for byte: head + position + tail.
      const t = template('/h', 1);
      expect(queued[0]).toBe(`${t.head}${encodePosition({ offset: 1, epoch })}${t.tail}`);
      expect(parse(queued).map((m) => m.ext.history)).toEqual(positions);
    });

    it('keeps offsets per channel', async () => {
      const engine = await ctx.make();
      await pub(engine, '/a', 1);
      await pub(engine, '/a', 2);
      expect((await pub(engine, '/b', 1)).position.offset).toBe(1);
      expect((await pub(engine, '/a', 3)).position.offset).toBe(3);
    });

    it('a subscribe without a query learns the position; a new channel gets an epoch at offset 0', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      const fresh = await engine.subscribeHistory(id, '/new', undefined, LIMITS);
      expect(fresh.ok).toBe(true);
      expect(fresh.read?.position.offset).toBe(0);
      expect(fresh.read?.complete).toBe(true);
      expect(fresh.read?.messages).toEqual([]);
      const first = await pub(engine, '/new', 'x');
      expect(first.position).toEqual({ offset: 1, epoch: fresh.read?.position.epoch });
      expect(await engine.subscriptions(id)).toEqual(['/new']);
    });

    it('recovers exactly what followed a position, queued before later publishes', async () => {
      const engine = await ctx.make();
      const positions: HistoryPosition[] = [];
      for (let i = 1; i <= 5; i++) positions.push((await pub(engine, '/r', i)).position);
      const id = await engine.createClient();
      const r = await engine.subscribeHistory(id, '/r', { after: positions[1] as HistoryPosition }, LIMITS);
      expect(r.ok).toBe(true);
      expect(r.read?.complete).toBe(true);
      expect(r.read?.position).toEqual(positions[4]);
      expect(dataOf(r.read?.messages ?? [])).toEqual([3, 4, 5]);
      await pub(engine, '/r', 6);
      expect(dataOf(await engine.takeQueue(id))).toEqual([3, 4, 5, 6]);
      expect(ctx.sink().wakeCount(id)).toBeGreaterThanOrEqual(1);
    });

    it('recovering from the latest position replays nothing and is complete', async () => {
      const engine = await ctx.make();
      const { position } = await pub(engine, '/r', 1);
      const id = await engine.createClient();
      const r = await engine.subscribeHistory(id, '/r', { after: position }, LIMITS);
      expect(r.read).toEqual({ position, messages: [], complete: true });
      expect(await engine.takeQueue(id)).toEqual([]);
    });

    it('another epoch or a position from the future is not recoverable, and replays nothing', async () => {
      const engine = await ctx.make();
      const { position } = await pub(engine, '/r', 1);
      const id = await engine.createClient();
      for (const after of [
        { offset: 0, epoch: `${position.epoch}x` },
        { offset: 2, epoch: position.epoch },
      ]) {
        const r = await engine.subscribeHistory(id, '/r', { after }, LIMITS);
        expect(r.ok).toBe(true);
        expect(r.read).toEqual({ position, messages: [], complete: false });
      }
      expect(await engine.takeQueue(id)).toEqual([]);
    });

    it('size: the oldest go first; a position older than the history is not recoverable (by one)', async () => {
      const engine = await ctx.make();
      const limits = { ...LIMITS, size: 3 };
      let epoch = '';
      for (let i = 1; i <= 4; i++) epoch = (await pub(engine, '/s', i, limits)).position.epoch;
      const id = await engine.createClient();
      // Retained: 2, 3, 4. After offset 1 everything is there; after offset 0 message 1 is missing.
      const ok = await engine.subscribeHistory(id, '/s', { after: { offset: 1, epoch } }, limits);
      expect(ok.read?.complete).toBe(true);
      expect(dataOf(ok.read?.messages ?? [])).toEqual([2, 3, 4]);
      const lost = await engine.subscribeHistory(id, '/s', { after: { offset: 0, epoch } }, limits);
      expect(lost.read?.complete).toBe(false);
      expect(lost.read?.messages).toEqual([]);
    });

    it('maxRecovery: a recovery needing one more message than allowed is not complete', async () => {
      const engine = await ctx.make();
      const limits = { ...LIMITS, maxRecovery: 2 };
      let epoch = '';
      for (let i = 1; i <= 3; i++) epoch = (await pub(engine, '/m', i, limits)).position.epoch;
      const id = await engine.createClient();
      const two = await engine.subscribeHistory(id, '/m', { after: { offset: 1, epoch } }, limits);
      expect(two.read?.complete).toBe(true);
      expect(dataOf(two.read?.messages ?? [])).toEqual([2, 3]);
      const three = await engine.subscribeHistory(id, '/m', { after: { offset: 0, epoch } }, limits);
      expect(three.read?.complete).toBe(false);
      expect(three.read?.messages).toEqual([]);
    });

    it('maxBytes: the history keeps what fits, in UTF-8 bytes (crossed by one byte)', async () => {
      const engine = await ctx.make();
      // Two-byte characters: a count of UTF-16 units would keep a third message.
      const data = 'ééééé';
      const probe = await pub(engine, '/b', data);
      const t = template('/b', data);
      const size = Buffer.byteLength(t.head + encodePosition(probe.position) + t.tail);
      // Offsets 2..9 keep the same text length: room for exactly two messages, then one byte short.
      const exact = { ...LIMITS, maxBytes: size * 2 };
      for (let i = 0; i < 3; i++) await pub(engine, '/b', data, exact);
      const read = await engine.readHistory('/b', { last: 10 }, exact);
      expect(parse(read.messages).map((m) => m.ext.history.offset)).toEqual([3, 4]);
      const short = { ...LIMITS, maxBytes: size * 2 - 1 };
      await pub(engine, '/b', data, short);
      expect(
        parse((await engine.readHistory('/b', { last: 10 }, short)).messages).map(
          (m) => m.ext.history.offset,
        ),
      ).toEqual([5]);
    });

    it('a replay the client queue cannot hold whole is refused (complete false, nothing queued; by one)', async () => {
      const engine = await ctx.make({ maxQueue: 3 });
      let epoch = '';
      for (let i = 1; i <= 4; i++) epoch = (await pub(engine, '/q', i)).position.epoch;
      const id = await engine.createClient();
      const three = await engine.subscribeHistory(id, '/q', { after: { offset: 1, epoch } }, LIMITS);
      expect(three.read?.complete).toBe(true);
      expect(dataOf(await engine.takeQueue(id))).toEqual([2, 3, 4]);
      const four = await engine.subscribeHistory(id, '/q', { after: { offset: 0, epoch } }, LIMITS);
      expect(four.ok).toBe(true);
      expect(four.read).toEqual({ position: { offset: 4, epoch }, messages: [], complete: false });
      expect(await engine.takeQueue(id)).toEqual([]);
      // What is already queued counts: one queued + three replayed is one too many.
      await engine.deliver(id, ['"x"']);
      const full = await engine.subscribeHistory(id, '/q', { after: { offset: 1, epoch } }, LIMITS);
      expect(full.read?.complete).toBe(false);
      expect(await engine.takeQueue(id)).toEqual(['"x"']);
      expect(await engine.clientExists(id)).toBe(true);
    });

    it('ttl: messages older than ttl are not replayed', async () => {
      useEngineFakeTimers();
      const engine = await ctx.make();
      const limits = { ...LIMITS, ttl: 1000 };
      const { position } = await pub(engine, '/t', 1, limits);
      await vi.advanceTimersByTimeAsync(600);
      await pub(engine, '/t', 2, limits);
      await vi.advanceTimersByTimeAsync(500);
      // Message 1 is 1100 ms old, message 2 500 ms.
      const read = await engine.readHistory('/t', { last: 10 }, limits);
      expect(dataOf(read.messages)).toEqual([2]);
      const id = await engine.createClient();
      const r = await engine.subscribeHistory(
        id,
        '/t',
        { after: { offset: 0, epoch: position.epoch } },
        limits,
      );
      expect(r.read?.complete).toBe(false);
      const fromOne = await engine.subscribeHistory(id, '/t', { after: position }, limits);
      expect(fromOne.read?.complete).toBe(true);
      expect(dataOf(fromOne.read?.messages ?? [])).toEqual([2]);
    });

    it('ttl is crossed by one ms: kept while younger than ttl, gone at ttl', async () => {
      useEngineFakeTimers();
      const engine = await ctx.make();
      const limits = { ...LIMITS, ttl: 1000 };
      await pub(engine, '/t1', 'x', limits);
      await vi.advanceTimersByTimeAsync(999);
      expect((await engine.readHistory('/t1', { last: 5 }, limits)).messages).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect((await engine.readHistory('/t1', { last: 5 }, limits)).messages).toHaveLength(0);
    });

    it('last: N gives the newest N; complete when N were there or the history is the whole channel', async () => {
      const engine = await ctx.make();
      const limits = { ...LIMITS, size: 3 };
      for (let i = 1; i <= 2; i++) await pub(engine, '/l', i, limits);
      const all = await engine.readHistory('/l', { last: 5 }, limits);
      expect(dataOf(all.messages)).toEqual([1, 2]);
      expect(all.complete).toBe(true);
      for (let i = 3; i <= 5; i++) await pub(engine, '/l', i, limits);
      const two = await engine.readHistory('/l', { last: 2 }, limits);
      expect(dataOf(two.messages)).toEqual([4, 5]);
      expect(two.complete).toBe(true);
      const more = await engine.readHistory('/l', { last: 4 }, limits);
      expect(dataOf(more.messages)).toEqual([3, 4, 5]);
      expect(more.complete).toBe(false);
      expect(more.position.offset).toBe(5);
      const id = await engine.createClient();
      const sub = await engine.subscribeHistory(id, '/l', { last: 2 }, limits);
      expect(dataOf(sub.read?.messages ?? [])).toEqual([4, 5]);
      expect(dataOf(await engine.takeQueue(id))).toEqual([4, 5]);
    });

    it('subscribeHistory refuses like subscribe (unknown client, maxSubscriptions crossed by one)', async () => {
      const engine = await ctx.make({ maxSubscriptions: 1 });
      expect(await engine.subscribeHistory('ghost', '/x', undefined, LIMITS)).toEqual({
        ok: false,
        reason: 'unknown-client',
      });
      const id = await engine.createClient();
      expect((await engine.subscribeHistory(id, '/x', undefined, LIMITS)).ok).toBe(true);
      expect(await engine.subscribeHistory(id, '/y', undefined, LIMITS)).toEqual({
        ok: false,
        reason: 'too-many-subscriptions',
      });
    });

    it('publishes racing a recovering subscribe: no loss, no duplicate, offsets in order (seeded)', async () => {
      let seed = 9;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const engine = await ctx.make({ maxQueue: 5000 });
      for (let round = 0; round < 20; round++) {
        const channel = `/race/${round}`;
        let last: HistoryPosition = (await pub(engine, channel, 0)).position;
        const before = 1 + Math.floor(random() * 5);
        for (let i = 1; i <= before; i++) await pub(engine, channel, i);
        const id = await engine.createClient();
        const racing: Promise<unknown>[] = [];
        const total = before + 1 + Math.floor(random() * 10);
        const at = Math.floor(random() * (total - before));
        for (let i = before + 1; i <= total; i++) {
          if (i - before - 1 === at)
            racing.push(engine.subscribeHistory(id, channel, { after: last }, LIMITS));
          racing.push(pub(engine, channel, i));
        }
        if (at >= total - before) racing.push(engine.subscribeHistory(id, channel, { after: last }, LIMITS));
        await Promise.all(racing);
        const offsets = parse(await engine.takeQueue(id)).map((m) => m.ext.history.offset);
        // Everything after offset 1 (the position recovered from), once each, in order.
        expect(offsets).toEqual(Array.from({ length: total }, (_, i) => i + 2));
        last = { offset: total + 1, epoch: last.epoch };
      }
    });
  });
}
