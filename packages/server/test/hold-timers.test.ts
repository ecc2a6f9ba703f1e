// Held connect deadlines share one timer per duration (hold-timers.ts) instead of a Timeout per hold:
// they must still fire each at its own time, in order, never after being cancelled, and leave nothing
// armed once every hold ended and its duration passed (an emptied list keeps its timer, unref'd, for the
// next deadline of that duration: no clearTimeout and setTimeout per long-polling request).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Expiring, HoldTimers } from '../src/hold-timers.js';

function entry(log: string[], name: string, onFire?: () => void): Expiring {
  return {
    deadlineReached() {
      log.push(name);
      onFire?.();
    },
  };
}

describe('HoldTimers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  // Due times are kept as small integers after their list's start (no heap number per hold): a list that
  // has held deadlines for weeks hands new ones to a fresh list instead of letting the offset wrap.
  it('a list weeks old: new deadlines go to a fresh list and fire on time, the old ones still fire', () => {
    const timers = new HoldTimers();
    const log: string[] = [];
    timers.arm(1000, entry(log, 'old'));
    // The clock jumps past int32 milliseconds (24.9 days) with the old deadline still armed.
    vi.setSystemTime(Date.now() + 2 ** 31 + 5000);
    vi.advanceTimersByTime(500);
    timers.arm(1000, entry(log, 'new'));
    vi.advanceTimersByTime(500);
    expect(log).toEqual(['old']);
    vi.advanceTimersByTime(499); // 'new' is due 1000 ms after it was armed
    expect(log).toEqual(['old']);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['old', 'new']);
    expect(timers.lists).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fires each deadline at its own time, oldest first, with one timer per duration', () => {
    const timers = new HoldTimers();
    const log: string[] = [];
    timers.arm(1000, entry(log, 'a'));
    vi.advanceTimersByTime(300);
    timers.arm(1000, entry(log, 'b'));
    timers.arm(50, entry(log, 'w'));
    expect(vi.getTimerCount()).toBe(2); // one per duration, not one per hold
    vi.advanceTimersByTime(49);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['w']);
    vi.advanceTimersByTime(649); // a at 1000
    expect(log).toEqual(['w']);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['w', 'a']);
    vi.advanceTimersByTime(299);
    expect(log).toEqual(['w', 'a']);
    vi.advanceTimersByTime(1); // b at 1300
    expect(log).toEqual(['w', 'a', 'b']);
    expect(timers.lists).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a cancelled deadline never fires, wherever it is in its list; cancelling twice or after firing is harmless', () => {
    const timers = new HoldTimers();
    const log: string[] = [];
    const a = timers.arm(100, entry(log, 'a'));
    vi.advanceTimersByTime(10);
    const b = timers.arm(100, entry(log, 'b'));
    vi.advanceTimersByTime(10);
    const c = timers.arm(100, entry(log, 'c'));
    timers.cancel(b); // middle
    timers.cancel(a); // head: the list re-arms for c
    timers.cancel(a);
    vi.advanceTimersByTime(100);
    expect(log).toEqual(['c']);
    timers.cancel(c);
    expect(timers.lists).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the last one cancelled leaves its timer until its time, then the list goes; a deadline armed from a firing one is kept', () => {
    const timers = new HoldTimers();
    const log: string[] = [];
    const only = timers.arm(30_000, entry(log, 'x'));
    timers.cancel(only);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(30_000);
    expect(log).toEqual([]);
    expect(timers.lists).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // A hold answered at its timeout is followed at once by the client's next connect (same duration).
    timers.arm(
      200,
      entry(log, 'first', () => timers.arm(200, entry(log, 'next'))),
    );
    vi.advanceTimersByTime(200);
    expect(log).toEqual(['first']);
    vi.advanceTimersByTime(199);
    expect(log).toEqual(['first']);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['first', 'next']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a deadline armed on an emptied list rides its leftover timer and still fires at its own time', () => {
    const timers = new HoldTimers();
    const log: string[] = [];
    const armed = vi.spyOn(globalThis, 'setTimeout');
    const body = timers.arm(100, entry(log, 'first body'));
    vi.advanceTimersByTime(50);
    timers.cancel(body); // read in time
    timers.arm(100, entry(log, 'second body')); // due at 150
    expect(armed).toHaveBeenCalledTimes(1); // the leftover timer, not a second one
    expect(vi.getTimerCount()).toBe(1);
    armed.mockRestore();
    vi.advanceTimersByTime(99); // the leftover fired at 100 and re-armed for 150
    expect(log).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['second body']);
    expect(timers.lists).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('many holds of one duration, started over time, each fire once at start + duration', () => {
    const timers = new HoldTimers();
    const fired: number[] = [];
    for (let i = 0; i < 100; i++) {
      const started = Date.now();
      timers.arm(500, { deadlineReached: () => fired.push(Date.now() - started) });
      vi.advanceTimersByTime(7);
    }
    vi.advanceTimersByTime(500);
    expect(fired).toHaveLength(100);
    for (const waited of fired) expect(waited).toBe(500);
  });
});

describe('HoldTimers on real timers', () => {
  /** Timers that keep the process alive (unref'd ones are not listed). */
  const refTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it("an emptied list's leftover timer keeps no process alive; the next deadline refs it again", () => {
    const before = refTimers();
    const timers = new HoldTimers();
    const first = timers.arm(60_000, { deadlineReached() {} });
    expect(refTimers()).toBe(before + 1);
    timers.cancel(first);
    expect(refTimers()).toBe(before);
    const second = timers.arm(60_000, { deadlineReached() {} });
    expect(refTimers()).toBe(before + 1);
    timers.cancel(second);
    expect(refTimers()).toBe(before);
  });
});
