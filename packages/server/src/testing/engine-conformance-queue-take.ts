// Engine conformance, taking queues (issue 13): takeQueueWithMore says in the same step whether messages
// are still queued, and a queue's byte count stays exact across takes, put-backs and batches, whatever an
// engine stores to know it (the Redis engine keeps no byte count for an empty queue). Part of
// engineConformance (every engine runs it).

import { describe, expect, it } from 'vitest';
import type { DeliverySink, DestroyReason, DropInfo, Engine } from '../engine/engine.js';
import type { ConformanceContext } from './engine-conformance.js';

/** A sink that keeps the drops and what went with destroyed clients (a type-only import of the main suite). */
class DropSink implements DeliverySink {
  readonly drops: DropInfo[] = [];
  readonly lost: Array<DropInfo | undefined> = [];
  readonly #destroyed = new Map<string, DestroyReason>();
  readonly #waiters = new Map<string, (reason: DestroyReason) => void>();

  wake(): void {}

  destroyed(clientId: string, reason: DestroyReason, lost?: DropInfo): void {
    this.lost.push(lost);
    this.#destroyed.set(clientId, reason);
    this.#waiters.get(clientId)?.(reason);
  }

  dropped(_clientId: string, info: DropInfo): void {
    this.drops.push(info);
  }

  waitDestroyed(clientId: string): Promise<DestroyReason> {
    const done = this.#destroyed.get(clientId);
    if (done !== undefined) return Promise.resolve(done);
    return new Promise((resolve) => this.#waiters.set(clientId, resolve));
  }
}

async function withDropSink(engine: Engine): Promise<DropSink> {
  const sink = new DropSink();
  engine.setSink(sink);
  return sink;
}

export function queueTakeConformance(ctx: ConformanceContext): void {
  describe('takeQueueWithMore', () => {
    it('takes what takeQueue takes and says whether messages are left', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      await engine.deliver(id, ['"1234"', '"12"', '"123456"', '"1"']);
      expect(await engine.takeQueueWithMore(id, 9)).toEqual({ messages: ['"1234"'], more: true });
      expect(await engine.takeQueueWithMore(id, 4)).toEqual({ messages: ['"12"'], more: true });
      // Larger than the budget: alone, and the one after it is still there.
      expect(await engine.takeQueueWithMore(id, 3)).toEqual({ messages: ['"123456"'], more: true });
      // Exactly what is left: nothing more.
      expect(await engine.takeQueueWithMore(id, 3)).toEqual({ messages: ['"1"'], more: false });
      expect(await engine.takeQueueWithMore(id, 3)).toEqual({ messages: [], more: false });
    });

    it('without a budget takes everything, in order; unknown clients take nothing', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      const many = Array.from({ length: 250 }, (_, i) => `"m${i}"`);
      await engine.deliver(id, many);
      expect(await engine.takeQueueWithMore(id)).toEqual({ messages: many, more: false });
      expect(await engine.takeQueueWithMore(id)).toEqual({ messages: [], more: false });
      expect(await engine.takeQueueWithMore('ghost', 10)).toEqual({ messages: [], more: false });
    });

    it('a budget larger than a long backlog takes all of it in order, and more is false', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      const many = Array.from({ length: 300 }, (_, i) => `"${i}"`);
      await engine.deliver(id, many);
      const first = await engine.takeQueueWithMore(id, 1000);
      expect(first.more).toBe(true);
      const rest = await engine.takeQueueWithMore(id, 1_000_000);
      expect([...first.messages, ...rest.messages]).toEqual(many);
      expect(rest.more).toBe(false);
    });

    it('long batches keep their order, appended or put back at the head', async () => {
      const engine = await ctx.make({ maxQueue: 6000 });
      const id = await engine.createClient();
      const tail = Array.from({ length: 2500 }, (_, i) => `"t${i}"`);
      const head = Array.from({ length: 2500 }, (_, i) => `"h${i}"`);
      await engine.deliver(id, tail);
      await engine.requeue(id, head);
      expect(await engine.takeQueueWithMore(id)).toEqual({ messages: [...head, ...tail], more: false });
    });

    it('records what it took in the journal, as takeQueue does', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      await engine.deliver(id, ['"a"', '"b"', '"c"']);
      expect(await engine.takeQueueWithMore(id, 6, 'j')).toEqual({ messages: ['"a"', '"b"'], more: true });
      expect(await engine.takeQueueWithMore(id, undefined, 'j')).toEqual({ messages: ['"c"'], more: false });
      expect(await engine.readJournal(id, 'j')).toEqual(['"a"', '"b"', '"c"']);
    });

    it('takeQueuesWithMore (when the engine has it): each client its own take, in the order asked', async () => {
      const engine = await ctx.make();
      if (engine.takeQueuesWithMore === undefined) return;
      const [a, b, c] = [
        await engine.createClient(),
        await engine.createClient(),
        await engine.createClient(),
      ];
      await engine.deliver(a, ['"a1"', '"a2"']);
      await engine.deliver(c, ['"c1"']);
      expect(await engine.takeQueuesWithMore([c, 'ghost', a, b], 5)).toEqual([
        { messages: ['"c1"'], more: false },
        { messages: [], more: false },
        { messages: ['"a1"'], more: true },
        { messages: [], more: false },
      ]);
      expect(await engine.takeQueuesWithMore([a])).toEqual([{ messages: ['"a2"'], more: false }]);
      expect(await engine.takeQueuesWithMore([])).toEqual([]);
    });

    it('sees messages put back at the head as queued', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      await engine.deliver(id, ['"new"']);
      await engine.requeue(id, ['"old1"', '"old2"']);
      expect(await engine.takeQueueWithMore(id, 6)).toEqual({ messages: ['"old1"'], more: true });
      expect(await engine.takeQueueWithMore(id)).toEqual({ messages: ['"old2"', '"new"'], more: false });
    });
  });

  describe('queue bytes across takes', () => {
    it('a queue emptied by a take holds maxQueueBytes again without a drop', async () => {
      const engine = await ctx.make({ maxQueueBytes: 12 });
      const sink = await withDropSink(engine);
      const id = await engine.createClient();
      await engine.deliver(id, ['"1234"', '"1234"']); // 12 bytes: full
      expect(await engine.takeQueue(id, 100)).toHaveLength(2);
      await engine.deliver(id, ['"abcd"', '"efgh"']);
      expect(sink.drops).toEqual([]);
      await engine.deliver(id, ['"x"']); // 12 + 3 > 12: the oldest goes
      expect(sink.drops).toEqual([{ dropped: 1, bytes: 6, limit: 'maxQueueBytes' }]);
      expect(await engine.takeQueue(id)).toEqual(['"efgh"', '"x"']);
    });

    it('a take that leaves messages keeps their bytes counted', async () => {
      const engine = await ctx.make({ maxQueueBytes: 12 });
      const sink = await withDropSink(engine);
      const id = await engine.createClient();
      await engine.deliver(id, ['"1234"', '"5678"']);
      expect(await engine.takeQueue(id, 6)).toEqual(['"1234"']); // 6 bytes left
      await engine.deliver(id, ['"abcd"']); // exactly 12
      expect(sink.drops).toEqual([]);
      await engine.deliver(id, ['"z"']);
      expect(sink.drops).toEqual([{ dropped: 1, bytes: 6, limit: 'maxQueueBytes' }]);
      expect(await engine.takeQueue(id)).toEqual(['"abcd"', '"z"']);
    });

    it('a batch longer than maxQueue keeps its newest messages (drop-oldest)', async () => {
      const engine = await ctx.make({ maxQueue: 3 });
      const sink = await withDropSink(engine);
      const id = await engine.createClient();
      await engine.deliver(id, ['"old"']);
      await engine.deliver(id, ['"1"', '"2"', '"3"', '"4"']);
      expect(await engine.takeQueue(id)).toEqual(['"2"', '"3"', '"4"']);
      const dropped = sink.drops.reduce((n, d) => n + d.dropped, 0);
      const bytes = sink.drops.reduce((n, d) => n + d.bytes, 0);
      expect([dropped, bytes]).toEqual([2, 8]);
      expect(sink.drops.every((d) => d.limit === 'maxQueue')).toBe(true);
    });

    it('a message larger than maxQueueBytes is dropped alone, the others of its batch are queued', async () => {
      const engine = await ctx.make({ maxQueueBytes: 10 });
      const sink = await withDropSink(engine);
      const id = await engine.createClient();
      await engine.deliver(id, ['"a"', '"0123456789"', '"b"']);
      expect(sink.drops).toEqual([{ dropped: 1, bytes: 12, limit: 'maxQueueBytes' }]);
      expect(await engine.takeQueue(id)).toEqual(['"a"', '"b"']);
    });

    it('the disconnect policy drops a client whose batch would cross maxQueue, queueing none of it', async () => {
      const engine = await ctx.make({ maxQueue: 2, queuePolicy: 'disconnect' });
      const sink = await withDropSink(engine);
      const id = await engine.createClient();
      await engine.deliver(id, ['"1"', '"2"']);
      await engine.deliver(id, ['"3"']);
      expect(await sink.waitDestroyed(id)).toBe('slow');
      expect(await engine.takeQueue(id)).toEqual([]);
    });

    it('a destroyed client whose queue a take emptied lost nothing', async () => {
      const engine = await ctx.make();
      const sink = await withDropSink(engine);
      const a = await engine.createClient();
      const b = await engine.createClient();
      await engine.deliver(a, ['"1234"']);
      await engine.deliver(b, ['"1234"', '"12"']);
      await engine.takeQueue(a);
      await engine.takeQueue(b, 6);
      await engine.destroyClient(a, 'disconnect');
      await engine.destroyClient(b, 'disconnect');
      // Engines that cannot tell leave `lost` out (DeliverySink.destroyed).
      const [lostA, lostB] = sink.lost;
      if (lostA !== undefined) expect(lostA).toEqual({ dropped: 0, bytes: 0 });
      if (lostB !== undefined) expect(lostB).toEqual({ dropped: 1, bytes: 4 });
    });
  });
}
