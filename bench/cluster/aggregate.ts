// The cluster bench's figures: CPU per step (each node, Redis, deliveries per CPU-second of the whole
// cluster) and the median of a contender's interleaved rounds at one node count. Pure functions, tested in
// test/bench/cluster.test.ts.
import { isSustained, sustained } from '../bayeux/aggregate.js';
import type { StepResult } from '../bayeux/load-child.js';
import { median, type RunLoad, worstLoad } from '../lib/honesty.js';
import { round } from '../lib/stats.js';

/** Sustained over websocket = nothing lost and p99 under 50 ms (issue 3's bound, as in the chat suite). */
export const CLUSTER_P99_BOUND_MS = 50;

/** One chat step on a cluster: the generator's figures plus the CPU of every party but the generator. */
export interface ClusterStep extends StepResult {
  /** CPU of each node over the step, % of one core. */
  nodeCpu: number[];
  /** CPU of the redis-server process (all its threads) over the step, % of one core. */
  redisCpu: number;
  /** Deliveries per CPU-second of the nodes and Redis together (the generator is not counted). */
  perTotalCpuSecond: number;
  /**
   * Redis commands executed per delivered message (INFO commandstats, script-internal calls included): a
   * load-independent measure of how much Redis work a delivery costs.
   */
  redisCommandsPerDelivery?: number;
  /** Redis commands over the step, per command, total under `*`. */
  redisCommands?: Record<string, number>;
}

/** One run: one contender on `nodes` node processes sharing one fresh redis-server. */
export interface ClusterRun {
  impl: string;
  nodes: number;
  clients: number;
  steps: ClusterStep[];
  error?: string;
  load?: RunLoad | null;
}

/** The CPU figures of one step, from the CPU each node and Redis used over `wallMs`. */
export function stepCpu(
  received: number,
  wallMs: number,
  nodeCpuUs: readonly number[],
  redisCpuS: number,
): Pick<ClusterStep, 'nodeCpu' | 'redisCpu' | 'perTotalCpuSecond' | 'serverCpu' | 'perCpuSecond'> {
  const pct = (seconds: number): number =>
    wallMs > 0 ? round((seconds * 1000 * 100) / wallMs, 0) : Number.NaN;
  const nodeSeconds = nodeCpuUs.map((us) => us / 1e6);
  const nodesTotal = nodeSeconds.reduce((a, b) => a + b, 0);
  const per = (seconds: number): number => (seconds > 0 ? round(received / seconds, 0) : Number.NaN);
  return {
    nodeCpu: nodeSeconds.map(pct),
    redisCpu: pct(redisCpuS),
    serverCpu: pct(nodesTotal),
    perCpuSecond: per(nodesTotal),
    perTotalCpuSecond: per(nodesTotal + redisCpuS),
  };
}

/** Mean of a list (NaN when empty). */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The median of a contender's rounds at one node count. Figures "at the sustained step" are per-run medians. */
export interface ClusterSummary {
  impl: string;
  nodes: number;
  clients: number;
  /** Median over the rounds of each round's sustained deliveries/s (a round that sustained nothing counts 0). */
  sustained: number | null;
  /** p99 (ms) at the sustained step. */
  p99: number | null;
  /** Mean CPU per node (% of one core) at the sustained step. */
  nodeCpu: number | null;
  /** Redis CPU (% of one core) at the sustained step. */
  redisCpu: number | null;
  /** Deliveries per CPU-second of nodes + Redis at the sustained step. */
  perTotalCpuSecond: number | null;
  /** Per offered rate, the median of the rounds that reached it (a step only some reached is left out). */
  steps: ClusterStep[];
  load: RunLoad | null;
  error?: string;
}

const finiteOrNull = (x: number, digits = 0): number | null => (Number.isFinite(x) ? round(x, digits) : null);

/** The median step per offered rate over the rounds that all reached it. */
export function medianSteps(runs: readonly ClusterRun[]): ClusterStep[] {
  const ok = runs.filter((r) => !r.error);
  const targets = [...new Set(ok.flatMap((r) => r.steps.map((s) => s.target)))].sort((a, b) => a - b);
  const out: ClusterStep[] = [];
  for (const target of targets) {
    const at = ok.flatMap((r) => r.steps.filter((s) => s.target === target));
    if (at.length < ok.length || at.length === 0) continue;
    const m = (f: (s: ClusterStep) => number | undefined, digits = 0): number =>
      round(median(at.map((s) => f(s) ?? Number.NaN)), digits);
    const width = Math.max(...at.map((s) => s.nodeCpu.length));
    out.push({
      target,
      published: m((s) => s.published),
      expected: m((s) => s.expected),
      received: m((s) => s.received),
      fraction: m((s) => s.fraction, 4),
      rate: m((s) => s.rate),
      p50: m((s) => s.p50, 2),
      p99: m((s) => s.p99, 2),
      errors: Math.max(...at.map((s) => s.errors)),
      loadCpu: m((s) => s.loadCpu),
      perResponse: m((s) => s.perResponse, 2),
      serverCpu: m((s) => s.serverCpu),
      perCpuSecond: m((s) => s.perCpuSecond),
      nodeCpu: Array.from({ length: width }, (_v, i) => m((s) => s.nodeCpu[i])),
      redisCpu: m((s) => s.redisCpu),
      perTotalCpuSecond: m((s) => s.perTotalCpuSecond),
      redisCommandsPerDelivery: m((s) => s.redisCommandsPerDelivery, 2),
    });
  }
  return out;
}

/** Summarises the rounds of one contender at one node count (all `runs` share impl and nodes). */
export function summarise(runs: readonly ClusterRun[], bound = CLUSTER_P99_BOUND_MS): ClusterSummary | null {
  const first = runs[0];
  if (!first) return null;
  const ok = runs.filter((r) => !r.error);
  const best = ok.map((r) => sustained(r.steps, bound));
  const held = best.filter((s): s is ClusterStep => s !== null);
  const at = (f: (s: ClusterStep) => number, digits = 0): number | null =>
    finiteOrNull(median(held.map(f)), digits);
  const out: ClusterSummary = {
    impl: first.impl,
    nodes: first.nodes,
    clients: first.clients,
    // A round that sustained no step counts as 0 (not skipped: that would flatter), as in the chat suite.
    sustained: ok.length > 0 ? round(median(best.map((s) => s?.rate ?? 0)), 0) || null : null,
    p99: at((s) => s.p99, 2),
    nodeCpu: at((s) => mean(s.nodeCpu)),
    redisCpu: at((s) => s.redisCpu),
    perTotalCpuSecond: at((s) => s.perTotalCpuSecond),
    steps: medianSteps(runs),
    load: worstLoad(runs.flatMap((r) => (r.load ? [r.load] : []))),
  };
  const err = runs.find((r) => r.error)?.error;
  if (err) out.error = err;
  return out;
}

/** The highest offered rate at which every summary's median step delivered everything, if any. */
export function commonFullStep(summaries: readonly (ClusterSummary | null | undefined)[]): number | null {
  const sets = summaries.map(
    (s) => new Set((s?.steps ?? []).filter((x) => x.received >= x.expected).map((x) => x.target)),
  );
  const [head, ...rest] = sets;
  if (!head) return null;
  const common = [...head].filter((t) => rest.every((s) => s.has(t)));
  return common.length > 0 ? Math.max(...common) : null;
}

/** One line per step for the console. */
export function stepLine(impl: string, nodes: number, s: ClusterStep): string {
  const sus = isSustained(s, CLUSTER_P99_BOUND_MS) ? 'sustained' : 'not sustained';
  return `  ${impl} x${nodes} target ${s.target}/s: delivered ${s.rate}/s (${(s.fraction * 100).toFixed(2)}%) p50 ${s.p50} ms p99 ${s.p99} ms errors ${s.errors} [${sus}]; cpu nodes ${s.nodeCpu.map((c) => `${c}%`).join(' ')} redis ${s.redisCpu}% generator ${s.loadCpu}%; ${s.perTotalCpuSecond} deliveries per CPU-second (nodes+redis); ${s.redisCommandsPerDelivery ?? '-'} redis commands per delivery; ${s.perResponse} per response`;
}
