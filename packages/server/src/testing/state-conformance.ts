// Engine conformance, per-client state kept in the engine: keyed state, the take journal and browser holds
// (maxSessionsPerBrowser). Part of engineConformance (every engine runs it).

import { describe, expect, it, vi } from 'vitest';
import { type ConformanceContext, msg, publish, useEngineFakeTimers } from './conformance-context.js';

export function stateConformance(ctx: ConformanceContext): void {
  describe('client state', () => {
    it('get/set/take per client and key; take is atomic; unknown clients are no-ops', async () => {
      const engine = await ctx.make();
      const a = await engine.createClient();
      const b = await engine.createClient();
      expect(await engine.getClientState(a, 'k')).toBeUndefined();
      await engine.setClientState(a, 'k', 'v1');
      await engine.setClientState(b, 'k', 'other');
      await engine.setClientState(a, 'k', 'v2');
      expect(await engine.getClientState(a, 'k')).toBe('v2');
      expect(await engine.getClientState(a, 'j')).toBeUndefined();
      const takes = await Promise.all([1, 2, 3].map(() => engine.takeClientState(a, 'k')));
      expect(takes.filter((t) => t !== undefined)).toEqual(['v2']);
      expect(await engine.getClientState(a, 'k')).toBeUndefined();
      expect(await engine.getClientState(b, 'k')).toBe('other');
      await engine.setClientState(b, 'k', undefined);
      expect(await engine.getClientState(b, 'k')).toBeUndefined();
      await engine.setClientState('ghost', 'k', 'v');
      expect(await engine.getClientState('ghost', 'k')).toBeUndefined();
      expect(await engine.takeClientState('ghost', 'k')).toBeUndefined();
    });

    it('is forgotten with the client', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      await engine.setClientState(id, 'ack', 'x'.repeat(10_000));
      await engine.destroyClient(id, 'disconnect');
      expect(await engine.getClientState(id, 'ack')).toBeUndefined();
    });
  });

  describe('take journal', () => {
    it('takeQueue with a journal records what it took, atomically; readJournal reads it back until cleared', async () => {
      const engine = await ctx.make();
      const id = await engine.createClient();
      await engine.subscribe(id, '/j');
      const other = await engine.createClient();
      await engine.subscribe(other, '/j');
      await publish(engine, '/j', 1); // two recipients: a shared body in engines that share
      await engine.deliver(id, ['"direct"']);
      expect(await engine.readJournal(id, 'taken')).toEqual([]);
      expect(await engine.takeQueue(id, undefined, 'taken')).toEqual([msg('/j', 1).encoded, '"direct"']);
      await engine.deliver(id, ['"two"', '"three"']);
      expect(await engine.takeQueue(id, 1, 'taken')).toEqual(['"two"']);
      expect(await engine.readJournal(id, 'taken')).toEqual([msg('/j', 1).encoded, '"direct"', '"two"']);
      expect(await engine.takeQueue(id)).toEqual(['"three"']); // no journal: not recorded
      expect(await engine.readJournal(id, 'taken')).toHaveLength(3);
      await engine.setClientState(id, 'taken', undefined);
      expect(await engine.readJournal(id, 'taken')).toEqual([]);
      expect(await engine.readJournal('ghost', 'taken')).toEqual([]);
    });
  });

  describe('browser holds (maxSessionsPerBrowser)', () => {
    it('counts the other clients of a browser holding a connect, until released or lapsed', async () => {
      useEngineFakeTimers();
      const engine = await ctx.make();
      const now = Date.now();
      expect(await engine.browserHolds('b1', 'a')).toBe(0);
      await engine.setBrowserHold('b1', 'a', now + 1000);
      await engine.setBrowserHold('b1', 'b', now + 5000);
      await engine.setBrowserHold('b2', 'c', now + 5000);
      expect(await engine.browserHolds('b1', 'x')).toBe(2);
      expect(await engine.browserHolds('b1', 'a')).toBe(1);
      expect(await engine.browserHolds('b2', 'x')).toBe(1);
      await engine.setBrowserHold('b1', 'b', undefined);
      expect(await engine.browserHolds('b1', 'x')).toBe(1);
      // A hold whose node never said it ended lapses at its deadline.
      await vi.advanceTimersByTimeAsync(999);
      expect(await engine.browserHolds('b1', 'x')).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(await engine.browserHolds('b1', 'x')).toBe(0);
      expect(await engine.browserHolds('b2', 'x')).toBe(1);
    });

    it('claimBrowserHold (when the engine has it) counts, and records the hold only below max', async () => {
      useEngineFakeTimers();
      const engine = await ctx.make();
      if (engine.claimBrowserHold === undefined) return; // optional: the server counts, then sets
      const now = Date.now();
      expect(await engine.claimBrowserHold('b1', 'a', now + 5000, 1)).toBe(0);
      expect(await engine.browserHolds('b1', 'x')).toBe(1);
      // Its own hold is not counted against it (a renewed connect of the same client).
      expect(await engine.claimBrowserHold('b1', 'a', now + 5000, 1)).toBe(0);
      expect(await engine.claimBrowserHold('b1', 'b', now + 5000, 1)).toBe(1);
      expect(await engine.browserHolds('b1', 'a')).toBe(0); // b was refused: not recorded
      expect(await engine.claimBrowserHold('b1', 'b', now + 5000, 2)).toBe(1);
      expect(await engine.browserHolds('b1', 'x')).toBe(2);
      await engine.setBrowserHold('b1', 'a', undefined);
      expect(await engine.browserHolds('b1', 'x')).toBe(1);
    });
  });
}
