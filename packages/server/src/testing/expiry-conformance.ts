// Engine conformance, expiry: clients not pinged within maxInterval expire within one sweep more, held
// connects never do, and one sweeper timer serves every client. Part of engineConformance.

import { describe, expect, it, vi } from 'vitest';
import { type ConformanceContext, useEngineFakeTimers } from './conformance-context.js';

export function expiryConformance(ctx: ConformanceContext): void {
  describe('expiry', () => {
    it('a client not pinged within maxInterval expires; a pinged one does not', async () => {
      useEngineFakeTimers();
      const engine = await ctx.make({ maxInterval: 1000, sweepInterval: 100 });
      const idle = await engine.createClient();
      const active = await engine.createClient();
      await vi.advanceTimersByTimeAsync(600);
      await engine.ping(active);
      await vi.advanceTimersByTimeAsync(600);
      // An engine call first: a networked engine's sweep may still be talking to its store when the
      // fake clock stops (I/O is real); a call made after the sweep fired sees its result.
      expect(await engine.clientExists(idle)).toBe(false);
      expect(ctx.sink().destroyedLog).toEqual([{ clientId: idle, reason: 'expired' }]);
      expect(await engine.clientExists(active)).toBe(true);
      await vi.advanceTimersByTimeAsync(600);
      expect(await ctx.sink().waitDestroyed(active)).toBe('expired');
      expect(await engine.clientCount()).toBe(0);
    });

    it('touchClient (when the engine has it) pings a known client and says whether it is known', async () => {
      useEngineFakeTimers();
      const engine = await ctx.make({ maxInterval: 1000, sweepInterval: 100 });
      if (engine.touchClient === undefined) return; // optional: the server pings after clientExists
      const idle = await engine.createClient();
      const active = await engine.createClient();
      await vi.advanceTimersByTimeAsync(600);
      expect(await engine.touchClient(active)).toBe(true);
      expect(await engine.touchClient('ghost')).toBe(false);
      expect(await engine.clientExists('ghost')).toBe(false);
      await vi.advanceTimersByTimeAsync(600);
      expect(await engine.clientExists(idle)).toBe(false);
      expect(await engine.clientExists(active)).toBe(true);
      expect(await engine.touchClient(idle)).toBe(false);
    });

    it('expires within maxInterval + sweepInterval, not before maxInterval', async () => {
      useEngineFakeTimers();
      const engine = await ctx.make({ maxInterval: 1000, sweepInterval: 250 });
      const id = await engine.createClient();
      await vi.advanceTimersByTimeAsync(999);
      expect(await engine.clientExists(id)).toBe(true);
      await vi.advanceTimersByTimeAsync(1 + 250);
      expect(await engine.clientExists(id)).toBe(false);
      expect(ctx.sink().destroyedLog).toEqual([{ clientId: id, reason: 'expired' }]);
    });

    it('never expires a client whose connect is held (sink.isHeld), and counts from its release', async () => {
      useEngineFakeTimers();
      const engine = await ctx.make({ maxInterval: 1000, sweepInterval: 100 });
      const held = await engine.createClient();
      ctx.sink().held.add(held);
      await vi.advanceTimersByTimeAsync(5000);
      expect(await engine.clientExists(held)).toBe(true);
      // The server releases the connect and pings as its reply leaves (expiry counts from the reply).
      ctx.sink().held.delete(held);
      await engine.ping(held);
      await vi.advanceTimersByTimeAsync(500);
      expect(await engine.clientExists(held)).toBe(true);
      await vi.advanceTimersByTimeAsync(1000);
      expect(await ctx.sink().waitDestroyed(held)).toBe('expired');
    });

    it('uses one sweeper timer for all clients, and close() stops it', async () => {
      useEngineFakeTimers();
      const before = vi.getTimerCount();
      const engine = await ctx.make({ maxInterval: 1000, sweepInterval: 100 });
      await engine.createClient();
      const withOne = vi.getTimerCount();
      for (let i = 0; i < 50; i++) await engine.ping(await engine.createClient());
      // No timer per client: the count does not grow with clients.
      expect(vi.getTimerCount()).toBe(withOne);
      await engine.close();
      expect(vi.getTimerCount()).toBe(before);
    });

    it('expires in real time too (short interval, awaiting the sink)', async () => {
      const engine = await ctx.make({ maxInterval: 30, sweepInterval: 10 });
      const id = await engine.createClient();
      expect(await ctx.sink().waitDestroyed(id)).toBe('expired');
      expect(await engine.clientExists(id)).toBe(false);
    });
  });
}
