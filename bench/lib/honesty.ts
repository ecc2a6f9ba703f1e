// What keeps a bench run honest: the load average before and after every run (a figure taken on a busy
// machine is not a result), medians over interleaved runs, and ratios oriented so that > 1 means ours is
// better. The functions that decide are pure (tested in test/bench/harness.test.ts); `checkLoad` is the
// one place that reads the machine and prints.
import { loadavg } from 'node:os';

/** Load average (1 min) above which a figure is not a result. 2 cores: 1 means about half of one busy. */
export const QUIET_LOAD = 1;

export interface LoadReading {
  /** 1, 5 and 15 minute load averages (os.loadavg()). */
  avg: [number, number, number];
  /** True when the 1-minute figure is at or below `QUIET_LOAD`. */
  quiet: boolean;
}

/** The gate: a reading is quiet when its 1-minute load average is at or below `limit`. */
export function loadVerdict(avg: readonly number[], limit = QUIET_LOAD): LoadReading {
  const [a = Number.NaN, b = Number.NaN, c = Number.NaN] = avg;
  return { avg: [a, b, c], quiet: Number.isFinite(a) && a <= limit };
}

/** One line for the console: the load average and, above the limit, the loud warning. */
export function loadLine(label: string, when: 'before' | 'after', r: LoadReading): string {
  const figures = r.avg.map((x) => x.toFixed(2)).join(' ');
  const base = `  load average ${when} ${label}: ${figures}`;
  return r.quiet
    ? base
    : `${base}\n  !!! LOAD AVERAGE ${r.avg[0].toFixed(2)} > ${QUIET_LOAD}: NOT A RESULT: rerun on a quiet machine !!!`;
}

/** Reads the load average now, prints it (with the warning when above 1) and returns it. */
export function checkLoad(label: string, when: 'before' | 'after'): LoadReading {
  const r = loadVerdict(loadavg());
  console.log(loadLine(label, when, r));
  return r;
}

/** The 1-minute load before and after one run, and whether both were quiet. */
export interface RunLoad {
  before: number;
  after: number;
  quiet: boolean;
}

/** Runs `fn` between two load readings. */
export async function withLoad<T>(label: string, fn: () => Promise<T>): Promise<{ value: T; load: RunLoad }> {
  const before = checkLoad(label, 'before');
  const value = await fn();
  const after = checkLoad(label, 'after');
  return { value, load: { before: before.avg[0], after: after.avg[0], quiet: before.quiet && after.quiet } };
}

/** Summary of the loads of several runs: the highest reading, and whether every run was quiet. */
export function worstLoad(loads: readonly RunLoad[]): RunLoad | null {
  if (loads.length === 0) return null;
  return {
    before: Math.max(...loads.map((l) => l.before)),
    after: Math.max(...loads.map((l) => l.after)),
    quiet: loads.every((l) => l.quiet),
  };
}

/** How a row's load is shown next to its figures. */
export function loadNote(load: RunLoad | null): string {
  if (!load) return '';
  const range = `load ${load.before.toFixed(1)}/${load.after.toFixed(1)}`;
  return load.quiet ? range : `${range} UNDER LOAD: not a result`;
}

/** Median (the mean of the middle two for an even count); NaN when empty. Non-finite values are ignored. */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Ours against a peer, oriented so that > 1 always means ours is better: ours/peer for throughput,
 * peer/ours for latency and memory. Null when either side is missing, zero or not finite.
 */
export function orientedRatio(
  ours: number | null,
  peer: number | null,
  higherIsBetter: boolean,
): number | null {
  if (ours === null || peer === null || ours === 0 || peer === 0) return null;
  if (!Number.isFinite(ours) || !Number.isFinite(peer)) return null;
  return higherIsBetter ? ours / peer : peer / ours;
}

/**
 * The order contenders run in for repetition `rep`: rotated each time, so none always runs first (the
 * first run of a series meets a colder machine and page cache) and load falls on every contender alike.
 */
export function interleave<T>(contenders: readonly T[], rep: number): T[] {
  const n = contenders.length;
  if (n === 0) return [];
  const k = ((rep % n) + n) % n;
  return [...contenders.slice(k), ...contenders.slice(0, k)];
}
