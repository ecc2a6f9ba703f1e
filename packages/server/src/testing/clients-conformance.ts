// Engine conformance, clients, subscriptions and publish: ids, existence, subscription limits, wildcard
// delivery (Bayeux §2.2.1) and queue order. Part of engineConformance (every engine runs it).

import { describe, expect, it } from 'vitest';
import { type ConformanceContext, msg, publish } from './conformance-context.js';

export function clientsConformance(ctx: ConformanceContext): void {
  describe('clients', () => {
    it('creates unique ids carrying at least 128 random bits, in an alphanumeric alphabet', async () => {
      const engine = await ctx.make();
      const ids = await Promise.all(Array.from({ length: 1000 }, () => engine.createClient()));
      expect(new Set(ids).size).toBe(1000);
      const alphabet = new Set<string>();
      for (const id of ids) {
        // Bayeux §2.4 clientId = alphanum *( alphanum ): strict clients (Faye) check it.
        expect(id).toMatch(/^[A-Za-z0-9]+$/);
        for (const c of id) alphabet.add(c);
      }
      const bitsPerChar = Math.log2(alphabet.size);
      const shortest = Math.min(...ids.map((id) => id.length));
      expect(shortest * bitsPerChar).toBeGreaterThanOrEqual(128);
      expect(await engine.clientCount()).toBe(1000);
    });

    it('clientExists follows create and destroy; the sink hears destroyed once', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      expect(await engine.clientExists(id)).toBe(true);
      expect(await engine.clientExists('nope')).toBe(false);
      await engine.destroyClient(id, 'disconnect');
      expect(await engine.clientExists(id)).toBe(false);
      expect(ctx.sink().destroyedLog).toEqual([{ clientId: id, reason: 'disconnect' }]);
      await engine.destroyClient(id, 'disconnect');
      expect(ctx.sink().destroyedLog).toHaveLength(1);
      expect(await engine.clientCount()).toBe(0);
    });

    it('destroying forgets subscriptions and queue', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      await engine.subscribe(id, '/a');
      await publish(engine, '/a');
      await engine.destroyClient(id, 'disconnect');
      expect(await publish(engine, '/a')).toBe(0);
      expect(await engine.takeQueue(id)).toEqual([]);
      expect(await engine.subscriptions(id)).toEqual([]);
    });

    it('unknown clients are no-ops, not errors', async () => {
      const engine = await ctx.make();
      await engine.ping('ghost');
      await engine.deliver('ghost', ['x']);
      expect(await engine.takeQueue('ghost')).toEqual([]);
      expect(await engine.unsubscribe('ghost', '/a')).toBe(false);
      expect(await engine.subscribe('ghost', '/a')).toEqual({ ok: false, reason: 'unknown-client' });
      expect(await engine.clientExists('ghost')).toBe(false);
      expect(ctx.sink().wakes).toEqual([]);
      expect(ctx.sink().destroyedLog).toEqual([]);
    });
  });

  describe('subscriptions', () => {
    it('subscribe is idempotent and unsubscribe says whether it existed', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      expect(await engine.subscribe(id, '/a')).toEqual({ ok: true });
      expect(await engine.subscribe(id, '/a')).toEqual({ ok: true });
      expect(await engine.subscriptions(id)).toEqual(['/a']);
      expect(await publish(engine, '/a')).toBe(1);
      expect(await engine.takeQueue(id)).toHaveLength(1);
      expect(await engine.unsubscribe(id, '/a')).toBe(true);
      expect(await engine.unsubscribe(id, '/a')).toBe(false);
      expect(await publish(engine, '/a')).toBe(0);
      expect(await engine.takeQueue(id)).toEqual([]);
    });

    it('lists every subscription', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      for (const p of ['/a', '/b/*', '/c/**']) await engine.subscribe(id, p);
      expect((await engine.subscriptions(id)).sort()).toEqual(['/a', '/b/*', '/c/**']);
    });

    it('maxSubscriptions is crossed by one; re-subscribing at the limit is fine', async () => {
      const engine = await ctx.make({ maxSubscriptions: 3 });
      const id = await engine.createClient();
      for (const p of ['/a', '/b', '/c']) expect((await engine.subscribe(id, p)).ok).toBe(true);
      expect(await engine.subscribe(id, '/d')).toEqual({ ok: false, reason: 'too-many-subscriptions' });
      expect(await engine.subscribe(id, '/a')).toEqual({ ok: true });
      expect(await engine.subscriptions(id)).toHaveLength(3);
      await engine.unsubscribe(id, '/a');
      expect((await engine.subscribe(id, '/d')).ok).toBe(true);
    });
  });

  describe('publish', () => {
    it('delivers by exact name and trailing wildcards (Bayeux §2.2.1)', async () => {
      const engine = await ctx.make();
      const subs: Record<string, string> = {};
      for (const p of ['/foo/bar', '/foo/*', '/foo/**', '/**', '/other']) {
        const id = await engine.createClient();
        await engine.subscribe(id, p);
        subs[p] = id;
      }
      const received = async (p: string) => (await engine.takeQueue(subs[p] as string)).length;

      expect(await publish(engine, '/foo/bar')).toBe(4);
      expect(await received('/foo/bar')).toBe(1);
      expect(await received('/foo/*')).toBe(1);
      expect(await received('/foo/**')).toBe(1);
      expect(await received('/**')).toBe(1);
      expect(await received('/other')).toBe(0);

      expect(await publish(engine, '/foo/bar/baz')).toBe(2);
      expect(await received('/foo/bar')).toBe(0);
      expect(await received('/foo/*')).toBe(0);
      expect(await received('/foo/**')).toBe(1);
      expect(await received('/**')).toBe(1);

      expect(await publish(engine, '/foo')).toBe(1);
      expect(await received('/**')).toBe(1);
      expect(await received('/foo/*')).toBe(0);
      expect(await received('/foo/**')).toBe(0);

      expect(await publish(engine, '/foobar')).toBe(1);
      expect(await received('/foo/*')).toBe(0);
    });

    it('delivers once per client when several subscriptions match', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      for (const p of ['/a/b', '/a/*', '/a/**', '/**']) await engine.subscribe(id, p);
      expect(await publish(engine, '/a/b')).toBe(1);
      expect(await engine.takeQueue(id)).toHaveLength(1);
      expect(ctx.sink().wakeCount(id)).toBe(1);
    });

    it('returns the number of clients queued for, and 0 with no subscriber', async () => {
      const engine = await ctx.make();
      const ids = await Promise.all([1, 2, 3].map(() => engine.createClient()));
      await engine.subscribe(ids[0] as string, '/x');
      await engine.subscribe(ids[1] as string, '/x/**');
      await engine.subscribe(ids[2] as string, '/y');
      expect(await publish(engine, '/x')).toBe(1);
      expect(await publish(engine, '/x/1')).toBe(1);
      expect(await publish(engine, '/z')).toBe(0);
    });

    it('queues the encoded text unchanged and wakes only matching clients', async () => {
      const engine = await ctx.make();
      const a = await engine.createClient();
      const b = await engine.createClient();
      await engine.subscribe(a, '/a');
      await engine.subscribe(b, '/b');
      const { message, encoded } = msg('/a', { text: 'héllo \u2028' });
      await engine.publish(message, encoded);
      expect(await engine.takeQueue(a)).toEqual([encoded]);
      expect(ctx.sink().wakes).toEqual([a]);
    });

    it('keeps order per publisher, awaited or not', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      await engine.subscribe(id, '/o/**');
      for (let i = 0; i < 20; i++) await publish(engine, '/o/x', i);
      await Promise.all(Array.from({ length: 20 }, (_, i) => publish(engine, `/o/${i % 3}`, 20 + i)));
      const queue = await engine.takeQueue(id);
      expect(queue.map((e) => (JSON.parse(e) as { data: number }).data)).toEqual(
        Array.from({ length: 40 }, (_, i) => i),
      );
    });

    it('takeQueue with maxBytes takes the oldest within the budget, at least one, and leaves the rest', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      await engine.deliver(id, ['"1234"', '"12"', '"123456"', '"1"']);
      expect(await engine.takeQueue(id, 9)).toEqual(['"1234"']); // 6 + 4 > 9
      expect(await engine.takeQueue(id, 4)).toEqual(['"12"']); // exactly the budget
      expect(await engine.takeQueue(id, 3)).toEqual(['"123456"']); // larger than the budget: alone
      expect(await engine.takeQueue(id, 100)).toEqual(['"1"']);
      expect(await engine.takeQueue(id, 100)).toEqual([]);
    });

    it('takeQueue drains', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      await engine.subscribe(id, '/a');
      await publish(engine, '/a', 1);
      await publish(engine, '/a', 2);
      expect(await engine.takeQueue(id)).toHaveLength(2);
      expect(await engine.takeQueue(id)).toEqual([]);
      await publish(engine, '/a', 3);
      expect(await engine.takeQueue(id)).toEqual([msg('/a', 3).encoded]);
    });
  });
}
