// The median of a contender's interleaved rounds on the chat workload (bench/README.md, method): per step
// by offered rate and per figure, so one noisy round does not decide.
import { median, type RunLoad, worstLoad } from '../lib/honesty.js';
import { round } from '../lib/stats.js';
import type { StepResult } from './load-child.js';

export interface TransportResult {
  transport: string;
  clients: number;
  /** (heap with N idle clients - heap before any) / N: one-time costs included. */
  heapPerClient?: number;
  /** (heap with 2N - heap with N) / N, same server: what one more idle client holds. */
  marginalHeapPerClient?: number;
  rssPerClient?: number;
  steps: StepResult[];
  sustained: number | null;
  sustainedP99: number | null;
  /** Best deliveries per server CPU-second over the steps that lost nothing (robust to stolen CPU). */
  perCpuSecond: number | null;
  error?: string;
  /** Load average before/after the run(s) behind these figures. */
  load?: RunLoad | null;
}

/** A step is sustained when nothing was lost, no error came back and p99 stayed under `bound` ms. */
export function isSustained(s: StepResult, bound: number): boolean {
  return s.p99 < bound && s.received >= s.expected && s.errors === 0;
}

/** The sustained step with the highest delivered rate, or null when none was. */
export function sustained<S extends StepResult>(steps: readonly S[], bound: number): S | null {
  let best: S | null = null;
  for (const s of steps) {
    if (isSustained(s, bound) && (!best || s.rate > best.rate)) best = s;
  }
  return best;
}

/** The median of several runs of one contender: per step (by offered rate) and per figure. */
export function medianResult(runs: TransportResult[]): TransportResult | undefined {
  const first = runs[0];
  if (!first) return undefined;
  const ok = runs.filter((r) => !r.error);
  const targets = [...new Set(ok.flatMap((r) => r.steps.map((x) => x.target)))].sort((a, b) => a - b);
  const steps: StepResult[] = [];
  for (const t of targets) {
    const at = ok.flatMap((r) => r.steps.filter((x) => x.target === t));
    // A step only some runs reached is left out (the others fell apart before it).
    if (at.length < ok.length) continue;
    const m = (f: (x: StepResult) => number | undefined): number => median(at.map((x) => f(x) ?? Number.NaN));
    steps.push({
      target: t,
      published: m((x) => x.published),
      expected: m((x) => x.expected),
      received: m((x) => x.received),
      fraction: m((x) => x.fraction),
      rate: round(
        m((x) => x.rate),
        0,
      ),
      p50: round(
        m((x) => x.p50),
        2,
      ),
      p99: round(
        m((x) => x.p99),
        2,
      ),
      errors: Math.max(...at.map((x) => x.errors)),
      loadCpu: round(
        m((x) => x.loadCpu),
        0,
      ),
      perResponse: round(
        m((x) => x.perResponse),
        2,
      ),
      serverCpu: round(
        m((x) => x.serverCpu),
        0,
      ),
      perCpuSecond: round(
        m((x) => x.perCpuSecond),
        0,
      ),
    });
  }
  const nums = (f: (r: TransportResult) => number | null | undefined, digits = 0): number | null => {
    const v = median(ok.map((r) => f(r) ?? Number.NaN));
    return Number.isFinite(v) ? round(v, digits) : null;
  };
  const sustainedRuns = ok.map((r) => r.sustained ?? 0);
  const out: TransportResult = {
    transport: first.transport,
    clients: first.clients,
    steps,
    // A run that sustained no step counts as 0 in the median (not skipped: that would flatter).
    sustained: ok.length > 0 ? round(median(sustainedRuns), 0) || null : null,
    sustainedP99: nums((r) => r.sustainedP99, 2),
    perCpuSecond: nums((r) => r.perCpuSecond),
    load: worstLoad(runs.flatMap((r) => (r.load ? [r.load] : []))),
  };
  const heap = nums((r) => r.heapPerClient);
  const marginal = nums((r) => r.marginalHeapPerClient);
  const rss = nums((r) => r.rssPerClient);
  if (heap !== null) out.heapPerClient = heap;
  if (marginal !== null) out.marginalHeapPerClient = marginal;
  if (rss !== null) out.rssPerClient = rss;
  const err = runs.find((r) => r.error)?.error;
  if (err) out.error = err;
  return out;
}
