// What keeps a bench run honest: the load average before and after every run (a figure taken on a busy
// machine is not a result), medians over interleaved runs, and ratios oriented so that > 1 means ours is
// better. The functions that decide are pure (tested in test/bench/harness.test.ts); `checkLoad` is the
// one place that reads the machine and prints.
import { loadavg } from 'node:os';
import { setTimeout } from 'node:timers/promises';
import { cpuSnapshot, foreignCores } from './cpu-share.js';

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

/**
 * CPU (in cores) that processes outside the bench may take during a run before its figure stops being a
 * result: half a core, as the load-average gate's "half of one busy elsewhere".
 */
export const QUIET_FOREIGN_CORES = 0.5;

/**
 * The longest wait for the load average to settle before a run (BENCH_COOLDOWN_S, seconds; 0: no wait).
 * The previous run's own server and generator leave the 1-minute average near 2 on 2 cores; it decays
 * by e^(-t/60), so from 2 to 1 takes about 42 s.
 */
export function coolDownMs(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.BENCH_COOLDOWN_S ?? 60);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 0;
}

/** The 1-minute load before and after one run, the CPU others took during it, and the verdict. */
export interface RunLoad {
  before: number;
  after: number;
  /** Cores used by processes outside the bench's own tree during the run (NaN: unknown). */
  foreign?: number;
  quiet: boolean;
}

/**
 * The verdict of one run. With the foreign share known: quiet when the machine was quiet before (load
 * average at most QUIET_LOAD) and others took at most QUIET_FOREIGN_CORES during the run; the load AFTER is
 * then the run's own doing (its server and generator) and does not count. Unknown share: both readings.
 */
export function runVerdict(before: number, after: number, foreign: number): boolean {
  const quietBefore = Number.isFinite(before) && before <= QUIET_LOAD;
  if (!Number.isFinite(foreign)) return quietBefore && Number.isFinite(after) && after <= QUIET_LOAD;
  return quietBefore && foreign <= QUIET_FOREIGN_CORES;
}

/** Waits (bounded) until the 1-minute load average is at most QUIET_LOAD. */
export async function coolDown(maxMs = coolDownMs()): Promise<void> {
  const deadline = Date.now() + maxMs;
  while ((loadavg()[0] ?? 0) > QUIET_LOAD && Date.now() < deadline) await setTimeout(1000);
}

/**
 * Runs `fn` between two load readings, after letting the load average settle (`coolDown`), and measures
 * the CPU other processes took meanwhile.
 */
export async function withLoad<T>(label: string, fn: () => Promise<T>): Promise<{ value: T; load: RunLoad }> {
  await coolDown();
  const before = checkLoad(label, 'before');
  const start = cpuSnapshot();
  const value = await fn();
  const foreign = foreignCores(start, cpuSnapshot());
  const afterReading = loadVerdict(loadavg());
  const quiet = runVerdict(before.avg[0], afterReading.avg[0], foreign);
  console.log(afterLine(label, afterReading, foreign, quiet));
  return { value, load: { before: before.avg[0], after: afterReading.avg[0], foreign, quiet } };
}

/** The line after a run: the load average (raised by the run itself), the others' CPU, the verdict. */
export function afterLine(label: string, r: LoadReading, foreign: number, quiet: boolean): string {
  const figures = r.avg.map((x) => x.toFixed(2)).join(' ');
  const others = Number.isFinite(foreign)
    ? `; other processes used ${foreign.toFixed(2)} cores meanwhile`
    : '';
  const base = `  load average after ${label}: ${figures} (includes this run's own server and generator)${others}`;
  return quiet
    ? base
    : `${base}\n  !!! NOT A RESULT: the machine was busy (load before > ${QUIET_LOAD} or others > ${QUIET_FOREIGN_CORES} cores): rerun on a quiet machine !!!`;
}

/** Summary of the loads of several runs: the highest reading, and whether every run was quiet. */
export function worstLoad(loads: readonly RunLoad[]): RunLoad | null {
  if (loads.length === 0) return null;
  return {
    before: Math.max(...loads.map((l) => l.before)),
    after: Math.max(...loads.map((l) => l.after)),
    // The worst share, known only when every run's is.
    ...(loads.every((l) => Number.isFinite(l.foreign))
      ? { foreign: Math.max(...loads.map((l) => l.foreign as number)) }
      : {}),
    quiet: loads.every((l) => l.quiet),
  };
}

/** How a row's load is shown next to its figures. */
export function loadNote(load: RunLoad | null): string {
  if (!load) return '';
  const others = Number.isFinite(load.foreign) ? ` others ${(load.foreign as number).toFixed(2)} cores` : '';
  const range = `load ${load.before.toFixed(1)}/${load.after.toFixed(1)}${others}`;
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
