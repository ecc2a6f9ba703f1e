// Engine conformance, presence (issue 9): who is in a channel, counts, and leaves for destroyed and
// expired clients told to the sink. Part of engineConformance (every engine runs it).

import { describe, expect, it, vi } from 'vitest';
import { type ConformanceContext, useEngineFakeTimers } from './conformance-context.js';

export function presenceConformance(ctx: ConformanceContext): void {
  describe('presence', () => {
    it('join and leave change the set once, with counts and the info given at createClient', async () => {
      const engine = await ctx.make();
      const a = await engine.createClient({ info: '{"nick":"ann"}' });
      const b = await engine.createClient();
      expect(await engine.presenceJoin('/p', a)).toEqual({
        changed: true,
        count: 1,
        member: { clientId: a, info: '{"nick":"ann"}' },
      });
      expect(await engine.presenceJoin('/p', a)).toEqual({ changed: false, count: 1 });
      expect(await engine.presenceJoin('/p', b)).toEqual({
        changed: true,
        count: 2,
        member: { clientId: b, info: 'null' },
      });
      expect(await engine.presence('/p', 10)).toEqual({
        count: 2,
        members: [
          { clientId: a, info: '{"nick":"ann"}' },
          { clientId: b, info: 'null' },
        ],
      });
      expect(await engine.presenceLeave('/p', a)).toEqual({
        changed: true,
        count: 1,
        member: { clientId: a, info: '{"nick":"ann"}' },
      });
      expect(await engine.presenceLeave('/p', a)).toEqual({ changed: false, count: 1 });
      expect(await engine.presence('/other', 10)).toEqual({ count: 0, members: [] });
      expect(ctx.sink().leftLog).toEqual([]);
    });

    it('unknown clients do not join', async () => {
      const engine = await ctx.make();
      expect((await engine.presenceJoin('/p', 'ghost')).changed).toBe(false);
      expect((await engine.presence('/p', 10)).count).toBe(0);
    });

    it('large rooms: members are listed up to maxMembers, past it only the count (by one)', async () => {
      const engine = await ctx.make();
      for (let i = 0; i < 3; i++) await engine.presenceJoin('/big', await engine.createClient());
      expect((await engine.presence('/big', 3)).members).toHaveLength(3);
      expect(await engine.presence('/big', 2)).toEqual({ count: 3 });
    });

    it('destroying a client leaves every set it was in, and the sink hears each leave', async () => {
      const engine = await ctx.make();
      const a = await engine.createClient({ info: '"a"' });
      const b = await engine.createClient();
      await engine.presenceJoin('/x', a);
      await engine.presenceJoin('/y', a);
      await engine.presenceJoin('/x', b);
      await engine.destroyClient(a, 'disconnect');
      const left = ctx.sink().leftLog;
      expect(left.map((l) => l.channel).sort()).toEqual(['/x', '/y']);
      expect(left.find((l) => l.channel === '/x')).toEqual({
        channel: '/x',
        member: { clientId: a, info: '"a"' },
        count: 1,
        reason: 'disconnect',
      });
      expect(left.find((l) => l.channel === '/y')?.count).toBe(0);
      expect(await engine.presence('/x', 10)).toEqual({ count: 1, members: [{ clientId: b, info: 'null' }] });
      expect((await engine.presence('/y', 10)).count).toBe(0);
    });

    it('an expired client leaves within maxInterval + sweepInterval', async () => {
      useEngineFakeTimers();
      const engine = await ctx.make({ maxInterval: 1000, sweepInterval: 100 });
      const a = await engine.createClient();
      await engine.presenceJoin('/e', a);
      await vi.advanceTimersByTimeAsync(900);
      expect((await engine.presence('/e', 10)).count).toBe(1);
      await vi.advanceTimersByTimeAsync(300);
      // The clock stops at 1200 ms, so only a sweep due by then can expire the client; a networked engine
      // tells the sink after real I/O, so await the event rather than guess how long that takes.
      const left = await ctx.sink().waitLeft('/e', a);
      expect([left.channel, left.reason, left.count]).toEqual(['/e', 'expired', 0]);
      expect(ctx.sink().leftLog).toHaveLength(1);
      expect((await engine.presence('/e', 10)).count).toBe(0);
    });
  });
}
