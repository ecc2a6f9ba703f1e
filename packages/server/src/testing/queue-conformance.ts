// Engine conformance, queues: direct delivery, put-back at the head (requeue) and the queue limits with both
// policies, each crossed by one. Part of engineConformance (every engine runs it).

import { describe, expect, it } from 'vitest';
import { type ConformanceContext, msg, publish } from './conformance-context.js';

export function queueConformance(ctx: ConformanceContext): void {
  describe('deliver', () => {
    it('queues for one client only, in order, and wakes it', async () => {
      const engine = await ctx.make();
      const a = await engine.createClient();
      const b = await engine.createClient();
      await engine.subscribe(b, '/**');
      await engine.deliver(a, ['one', 'two']);
      await engine.deliver(a, ['three']);
      expect(await engine.takeQueue(a)).toEqual(['one', 'two', 'three']);
      expect(await engine.takeQueue(b)).toEqual([]);
      expect(ctx.sink().wakeCount(a)).toBeGreaterThanOrEqual(1);
      expect(ctx.sink().wakeCount(b)).toBe(0);
    });

    it('delivering nothing does not wake', async () => {
      const engine = await ctx.make();
      const a = await engine.createClient();
      await engine.deliver(a, []);
      expect(ctx.sink().wakes).toEqual([]);
    });
  });

  describe('requeue', () => {
    it('puts messages back at the HEAD of the queue, in order, ahead of newer ones, and wakes', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      await engine.deliver(id, ['1', '2', '3']);
      const taken = await engine.takeQueue(id);
      await engine.deliver(id, ['4', '5']);
      const wakes = ctx.sink().wakeCount(id);
      await engine.requeue(id, taken);
      expect(ctx.sink().wakeCount(id)).toBe(wakes + 1);
      expect(await engine.takeQueue(id)).toEqual(['1', '2', '3', '4', '5']);
      // Twice in a row: the second batch is older than the first one put back.
      await engine.deliver(id, ['c']);
      await engine.requeue(id, ['b']);
      await engine.requeue(id, ['a']);
      expect(await engine.takeQueue(id)).toEqual(['a', 'b', 'c']);
    });

    it('into an empty queue, after a partial drop, and for unknown clients (a no-op)', async () => {
      const engine = await ctx.make({ maxQueue: 3, queuePolicy: 'drop-oldest' });
      const id = await engine.createClient();
      await engine.requeue(id, ['x', 'y']);
      expect(await engine.takeQueue(id)).toEqual(['x', 'y']);
      await engine.requeue('nobody', ['z']);
      expect(await engine.clientExists('nobody')).toBe(false);
      await engine.requeue(id, []);
      expect(await engine.takeQueue(id)).toEqual([]);
    });

    it('drop-oldest applies (crossed by one): the oldest, the ones put back, go first', async () => {
      const engine = await ctx.make({ maxQueue: 3, queuePolicy: 'drop-oldest' });
      const id = await engine.createClient();
      await engine.deliver(id, ['3', '4']);
      await engine.requeue(id, ['2']);
      expect(await engine.takeQueue(id)).toEqual(['2', '3', '4']);
      await engine.deliver(id, ['3', '4']);
      await engine.requeue(id, ['1', '2']);
      expect(await engine.takeQueue(id)).toEqual(['2', '3', '4']);
      expect(await engine.clientExists(id)).toBe(true);
    });

    it('disconnect applies (crossed by one)', async () => {
      const engine = await ctx.make({ maxQueue: 2, queuePolicy: 'disconnect' });
      const id = await engine.createClient();
      await engine.deliver(id, ['b']);
      await engine.requeue(id, ['a']);
      expect(await engine.clientExists(id)).toBe(true);
      await engine.requeue(id, ['0']);
      expect(await ctx.sink().waitDestroyed(id)).toBe('slow');
    });
  });

  describe('queue limits', () => {
    it('drop-oldest keeps the newest maxQueue messages (crossed by one)', async () => {
      const engine = await ctx.make({ maxQueue: 3, queuePolicy: 'drop-oldest' });
      const id = await engine.createClient();
      await engine.subscribe(id, '/q');
      for (let i = 1; i <= 3; i++) await publish(engine, '/q', i);
      expect(await engine.takeQueue(id)).toEqual([1, 2, 3].map((i) => msg('/q', i).encoded));
      for (let i = 1; i <= 4; i++) await publish(engine, '/q', i);
      expect(await engine.takeQueue(id)).toEqual([2, 3, 4].map((i) => msg('/q', i).encoded));
      for (let i = 1; i <= 10; i++) await publish(engine, '/q', i);
      await engine.deliver(id, ['d']);
      expect(await engine.takeQueue(id)).toEqual([msg('/q', 9).encoded, msg('/q', 10).encoded, 'd']);
      expect(await engine.clientExists(id)).toBe(true);
      expect(ctx.sink().destroyedLog).toEqual([]);
    });

    it('disconnect destroys the slow client with reason slow (crossed by one)', async () => {
      const engine = await ctx.make({ maxQueue: 3, queuePolicy: 'disconnect' });
      const slow = await engine.createClient();
      const fast = await engine.createClient();
      await engine.subscribe(slow, '/q');
      await engine.subscribe(fast, '/q');
      for (let i = 1; i <= 3; i++) await publish(engine, '/q', i);
      await engine.takeQueue(fast);
      expect(await engine.clientExists(slow)).toBe(true);
      expect(await publish(engine, '/q', 4)).toBe(1);
      expect(await ctx.sink().waitDestroyed(slow)).toBe('slow');
      expect(await engine.clientExists(slow)).toBe(false);
      expect(await engine.clientExists(fast)).toBe(true);
      expect(await engine.takeQueue(fast)).toEqual([msg('/q', 4).encoded]);
      expect(await publish(engine, '/q', 5)).toBe(1);
    });

    it('maxQueueBytes, drop-oldest: the oldest go until the new message fits (crossed by one byte)', async () => {
      // Three 10-byte messages fill 30 bytes exactly; one byte more drops the oldest.
      const engine = await ctx.make({ maxQueueBytes: 30, queuePolicy: 'drop-oldest' });
      const id = await engine.createClient();
      await engine.deliver(id, ['"aaaaaaa1"', '"aaaaaaa2"', '"aaaaaaa3"']);
      expect(await engine.takeQueue(id)).toEqual(['"aaaaaaa1"', '"aaaaaaa2"', '"aaaaaaa3"']);
      await engine.deliver(id, ['"aaaaaaa1"', '"aaaaaaa2"', '"aaaaaaa3"', '"b"']);
      expect(await engine.takeQueue(id)).toEqual(['"aaaaaaa2"', '"aaaaaaa3"', '"b"']);
      // Bytes are UTF-8 bytes: "é" is two.
      await engine.deliver(id, ['"éééééééééé"', '"aaaaaaa2"']); // 22 + 10 bytes, 22 characters
      expect(await engine.takeQueue(id)).toEqual(['"aaaaaaa2"']);
      expect(await engine.clientExists(id)).toBe(true);
    });

    it('maxQueueBytes, disconnect: the slow client is destroyed (crossed by one byte)', async () => {
      const engine = await ctx.make({ maxQueueBytes: 20, queuePolicy: 'disconnect' });
      const id = await engine.createClient();
      await engine.subscribe(id, '/q');
      const ten = '"aaaaaaaa"';
      await engine.deliver(id, [ten, ten]);
      expect(await engine.clientExists(id)).toBe(true);
      await engine.deliver(id, ['1']);
      expect(await ctx.sink().waitDestroyed(id)).toBe('slow');
    });

    it('disconnect applies to direct deliveries too', async () => {
      const engine = await ctx.make({ maxQueue: 2, queuePolicy: 'disconnect' });
      const id = await engine.createClient();
      await engine.deliver(id, ['a', 'b']);
      expect(await engine.clientExists(id)).toBe(true);
      await engine.deliver(id, ['c']);
      expect(await ctx.sink().waitDestroyed(id)).toBe('slow');
    });
  });
}
