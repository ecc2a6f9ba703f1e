import { describe, expect, it } from 'vitest';
import {
  cpuSnapshot,
  foreignCores,
  parseMachineBusy,
  parseProcessStat,
  treeTicks,
  USER_HZ,
} from '../../bench/lib/cpu-share.js';
import { QUIET_FOREIGN_CORES, QUIET_LOAD, runVerdict, worstLoad } from '../../bench/lib/honesty.js';

describe('the CPU other processes take during a run', () => {
  it('counts busy ticks of /proc/stat without idle and iowait', () => {
    const stat = 'cpu  100 5 30 9000 40 1 2 3 0 0\ncpu0 50 2 15 4500 20 0 1 1 0 0\nintr 1\n';
    expect(parseMachineBusy(stat)).toBe(100 + 5 + 30 + 1 + 2 + 3);
    expect(parseMachineBusy('intr 1\n')).toBeNaN();
  });

  it('reads parent and own plus reaped-children ticks, with spaces and parentheses in the name', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    const stat = '4242 (node (a b)) S 17 4242 4242 0 -1 4194560 10 0 0 0 120 30 7 3 20 0 11 0';
    expect(parseProcessStat(stat)).toEqual({ ppid: 17, ticks: 120 + 30 + 7 + 3 });
    expect(parseProcessStat('garbage')).toBeNull();
  });

  it('sums a process tree and nothing outside it', () => {
    const procs = new Map([
      [1, { ppid: 0, ticks: 1000 }],
      [10, { ppid: 1, ticks: 5 }],
      [11, { ppid: 10, ticks: 7 }],
      [12, { ppid: 11, ticks: 11 }],
      [20, { ppid: 1, ticks: 500 }],
    ]);
    expect(treeTicks(procs, 10)).toBe(5 + 7 + 11);
    expect(treeTicks(procs, 99)).toBe(0);
  });

  it('gives the foreign share in cores: machine busy minus our tree, per second', () => {
    const a = { at: 0, machine: 1000, ours: 300 };
    // 2 s later: the machine did 400 ticks more, we did 300 of them: 100 ticks = 1 s over 2 s = 0.5 cores.
    const b = { at: 2000, machine: 1400, ours: 600 };
    expect(foreignCores(a, b)).toBeCloseTo(100 / USER_HZ / 2, 6);
    expect(foreignCores(a, { ...b, ours: 800 })).toBe(0);
    expect(foreignCores(a, { ...b, machine: Number.NaN })).toBeNaN();
    expect(foreignCores(a, a)).toBeNaN();
  });

  it('sees CPU burnt by this very process as ours, not foreign', () => {
    const a = cpuSnapshot();
    const until = performance.now() + 300;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const b = cpuSnapshot();
    expect(x).toBeGreaterThan(0);
    expect(b.ours - a.ours).toBeGreaterThan(10); // ~30 ticks of 10 ms burnt on this thread
    expect(b.machine - a.machine).toBeGreaterThanOrEqual(b.ours - a.ours - 2);
  });
});

describe('the verdict of one run', () => {
  it('needs a quiet machine before and little foreign CPU, not a low load after', () => {
    expect(runVerdict(0.4, 1.9, 0.1)).toBe(true); // the run's own load after does not count
    expect(runVerdict(QUIET_LOAD + 0.01, 0.5, 0)).toBe(false);
    expect(runVerdict(0.4, 0.5, QUIET_FOREIGN_CORES + 0.01)).toBe(false);
    // Unknown share (not Linux): both load readings decide.
    expect(runVerdict(0.4, 0.9, Number.NaN)).toBe(true);
    expect(runVerdict(0.4, 1.9, Number.NaN)).toBe(false);
  });

  it('keeps the worst foreign share of several runs', () => {
    const w = worstLoad([
      { before: 0.2, after: 1.5, foreign: 0.1, quiet: true },
      { before: 0.3, after: 1.7, foreign: 0.7, quiet: false },
    ]);
    expect(w).toEqual({ before: 0.3, after: 1.7, foreign: 0.7, quiet: false });
  });
});
