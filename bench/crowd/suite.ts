// `npm run bench -- crowd`: the largest crowd of idle clients this machine allows (issue 12). N pushwire
// server processes on one bench-owned Redis (`bayeux`: handshaken, subscribed, connect held), or the
// WebSocket server alone (`raw`), M generator processes, 100,000 clients by default (`--quick` 10,000,
// `--clients=N`). Reports how many connected and how fast, heap and RSS per client per node after forced
// GCs, Redis memory per client, then proves the crowd is live: one message to all, every client counted.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseProcessStat, USER_HZ } from '../lib/cpu-share.js';
import { type RunLoad, withLoad } from '../lib/honesty.js';
import type { BenchOptions } from '../lib/options.js';
import { type Child, startChild } from '../lib/proc.js';
import { monoMs, round } from '../lib/stats.js';
import { writeResults } from '../lib/table.js';
import type { OpenResult } from './load-child.js';
import {
  CROWD_LIMITS,
  type CrowdPlan,
  type DeliverySummary,
  deliverySummary,
  deliveryTimeoutMs,
  fdProblem,
  memoryFigures,
  memoryProblem,
  type NodeMemory,
  parseMemAvailable,
  parseVmRss,
  planCrowd,
  type Receipts,
  rampDeadlineMs,
} from './plan.js';
import { type BenchRedis, startRedis } from './redis-server.js';

const MODES = ['bayeux', 'raw'] as const;
type Mode = (typeof MODES)[number];
const PATH = '/bayeux';
const CHANNEL = '/crowd/all';
/** Ms a child may take to start (tsx compiling the bench's files on a loaded machine). */
const START_TIMEOUT_MS = 120_000;
/** Ms a forced-GC memory reading may take in a child holding 18,000 clients. */
const MEM_TIMEOUT_MS = 120_000;
/** Ms between progress lines (and memory-budget checks) during the ramp. */
const WATCH_MS = 5_000;
/** Connections above a node's share its admission allows (the publisher, stragglers). */
const ADMISSION_MARGIN = 100;

interface Mem {
  heapUsed: number;
  rss: number;
  connections?: number;
}

export interface CrowdResult {
  mode: Mode;
  target: number;
  plan: CrowdPlan;
  opened: number;
  failed: number;
  /** Subscribed, then refused (a failed connect reply) and closed. */
  lost: number;
  firstError: string;
  stoppedBy: string[];
  rampMs: number;
  serverConnections: number[];
  nodes: ReturnType<typeof memoryFigures>;
  generatorHeapPerClient: number;
  redisPerClient: number | null;
  delivery: DeliverySummary;
  /** CPU ms per connected client over the ramp (load-independent, unlike its duration). */
  rampCpuPerClient: CpuReading;
  /** CPU ms of the one publish, from the publish to the last receipt. */
  deliveryCpu: CpuReading;
  load?: RunLoad;
}

/** CPU ms (user + system) a process used so far, from /proc/<pid>/stat; NaN once it is gone. */
function cpuMsOf(pid: number): number {
  try {
    const p = parseProcessStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return p ? (p.ticks * 1000) / USER_HZ : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU ms of the servers, the generators and redis-server, read now. */
interface CpuReading {
  servers: number;
  generators: number;
  redis: number;
}

function rssOf(pid: number): number {
  try {
    return parseVmRss(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return Number.NaN;
  }
}

/** Everything one crowd run started, stopped in one place (also on a failure halfway). */
class Crowd {
  servers: Child[] = [];
  generators: Child[] = [];
  redis: BenchRedis | null = null;
  #abort: (err: Error) => void = () => {};
  /** Rejects when the memory budget is crossed: every wait races it. */
  readonly aborted = new Promise<never>((_resolve, reject) => {
    this.#abort = reject;
  });
  #watch: NodeJS.Timeout | null = null;

  constructor() {
    this.aborted.catch(() => {});
  }

  pids(): number[] {
    return [...this.servers, ...this.generators].map((c) => c.pid).concat(this.redis ? [this.redis.pid] : []);
  }

  /** Resident memory of every child, summed. */
  rss(): number {
    return this.pids().reduce((a, pid) => a + (rssOf(pid) || 0), 0);
  }

  watchMemory(): void {
    this.#watch = setInterval(() => {
      const rss = this.rss();
      if (rss > CROWD_LIMITS.MEMORY_BUDGET_BYTES) {
        this.#abort(
          new Error(
            `children use ${(rss / 1024 ** 3).toFixed(1)} GiB, above MEMORY_BUDGET_BYTES ` +
              `(${(CROWD_LIMITS.MEMORY_BUDGET_BYTES / 1024 ** 3).toFixed(0)} GiB): stopped`,
          ),
        );
      }
    }, 1000);
  }

  cpu(): CpuReading {
    const sum = (cs: Child[]): number => cs.reduce((a, c) => a + cpuMsOf(c.pid), 0);
    return {
      servers: sum(this.servers),
      generators: sum(this.generators),
      redis: this.redis ? cpuMsOf(this.redis.pid) : 0,
    };
  }

  guard<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.aborted]);
  }

  async stop(): Promise<void> {
    if (this.#watch) clearInterval(this.#watch);
    await Promise.allSettled([...this.generators, ...this.servers].map((c) => c.stop()));
    await this.redis?.stop();
  }
}

async function startAll(crowd: Crowd, mode: Mode, plan: CrowdPlan): Promise<void> {
  const prefix = `crowd-${randomBytes(4).toString('hex')}`;
  if (mode === 'bayeux') crowd.redis = await startRedis();
  const url = crowd.redis?.url ?? '';
  const serverArgs = (n: number): string[] =>
    mode === 'bayeux'
      ? ['bayeux', url, prefix, String(n + ADMISSION_MARGIN), String(plan.clients + ADMISSION_MARGIN)]
      : ['raw', String(n + ADMISSION_MARGIN)];
  // Started one by one and pushed as they come, so a failure halfway still stops those already running.
  for (const [i, n] of plan.servers.entries()) {
    crowd.servers.push(
      await startChild(`crowd-${mode}-server-${i}`, 'crowd/server-child.ts', serverArgs(n), START_TIMEOUT_MS),
    );
  }
  for (const [i] of plan.generators.entries()) {
    crowd.generators.push(await startChild(`crowd-gen-${i}`, 'crowd/load-child.ts', [], START_TIMEOUT_MS));
  }
  const limitOf = (c: Child): number => (c.info as { fdLimit: number }).fdLimit;
  const problems = [
    ...crowd.servers.map((c, i) => fdProblem(c.name, plan.servers[i] as number, limitOf(c))),
    ...crowd.generators.map((c, i) => fdProblem(c.name, plan.generators[i]?.count ?? 0, limitOf(c))),
  ].filter((p): p is string => p !== null);
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

async function ramp(crowd: Crowd, mode: Mode, plan: CrowdPlan): Promise<OpenResult[]> {
  const ports = crowd.servers.map((s) => (s.info as { port: number }).port);
  const rampMs = rampDeadlineMs(plan.clients, process.env);
  const deadline = monoMs() + rampMs;
  const t0 = monoMs();
  const opening = Promise.all(
    crowd.generators.map((g, i) => {
      const gp = plan.generators[i];
      if (!gp) throw new Error(`no plan for generator ${i}`);
      return g.call<OpenResult>(
        'open',
        {
          mode,
          ports,
          path: PATH,
          channel: CHANNEL,
          first: gp.first,
          count: gp.count,
          addresses: plan.addresses,
          inflight: gp.inflight,
          deadline,
        },
        rampMs + CROWD_LIMITS.CLIENT_TIMEOUT_MS + 30_000,
      );
    }),
  );
  let done = false;
  void opening.finally(() => {
    done = true;
  });
  const progress = (async (): Promise<void> => {
    while (!done) {
      await Promise.race([new Promise((r) => setTimeout(r, WATCH_MS)), opening.catch(() => {})]);
      if (done) return;
      const ps = await Promise.all(
        crowd.generators.map((g) =>
          g
            .call<{ opened: number; failed: number; lost: number; firstError: string }>(
              'progress',
              {},
              30_000,
            )
            .catch(() => null),
        ),
      );
      const opened = ps.reduce((a, p) => a + (p?.opened ?? 0), 0);
      const failed = ps.reduce((a, p) => a + (p?.failed ?? 0), 0);
      const lost = ps.reduce((a, p) => a + (p?.lost ?? 0), 0);
      const error = ps.map((p) => p?.firstError).find((e) => e);
      const s = (monoMs() - t0) / 1000;
      console.log(
        `  ${mode}: ${opened.toLocaleString('en-US')} / ${plan.clients.toLocaleString('en-US')} connected, ` +
          `${failed} failed, ${lost} lost, ${s.toFixed(0)} s, children RSS ${(crowd.rss() / 1024 ** 3).toFixed(2)} GiB` +
          (error ? `; first error: ${error.slice(0, 160)}` : ''),
      );
    }
  })();
  const results = await crowd.guard(opening);
  await progress;
  return results;
}

function cpuDelta(a: CpuReading, b: CpuReading, per: number): CpuReading {
  return {
    servers: round((b.servers - a.servers) / per, 3),
    generators: round((b.generators - a.generators) / per, 3),
    redis: round((b.redis - a.redis) / per, 3),
  };
}

const cpuNote = (c: CpuReading): string =>
  `servers ${c.servers} / generators ${c.generators} / redis ${c.redis}`;

async function memOf(children: Child[]): Promise<Mem[]> {
  return Promise.all(children.map((c) => c.call<Mem>('mem', {}, MEM_TIMEOUT_MS)));
}

async function runMode(mode: Mode, plan: CrowdPlan): Promise<CrowdResult> {
  const crowd = new Crowd();
  try {
    await crowd.guard(startAll(crowd, mode, plan));
    crowd.watchMemory();
    const first = crowd.generators[0] as Child;
    const server0 = crowd.servers[0] as Child;
    if (mode === 'bayeux') {
      await first.call('publisher', { port: (server0.info as { port: number }).port, path: PATH }, 90_000);
    }
    const before = await crowd.guard(memOf(crowd.servers));
    const genBefore = await crowd.guard(memOf(crowd.generators));
    const redisBefore = (await crowd.redis?.usedMemory()) ?? Number.NaN;
    const t0 = monoMs();
    const cpu0 = crowd.cpu();
    const opened = await ramp(crowd, mode, plan);
    const rampMs = monoMs() - t0;
    const cpu1 = crowd.cpu();
    const after = await crowd.guard(memOf(crowd.servers));
    const genAfter = await crowd.guard(memOf(crowd.generators));
    const redisAfter = (await crowd.redis?.usedMemory()) ?? Number.NaN;
    const total = opened.reduce((a, r) => a + r.opened - r.lost, 0);
    const perNode = after.map((m) => m.connections ?? 0);
    const nodes: NodeMemory[] = after.map((m, i) => ({
      clients: perNode[i] ?? 0,
      heapBefore: before[i]?.heapUsed ?? Number.NaN,
      heapAfter: m.heapUsed,
      rssBefore: before[i]?.rss ?? Number.NaN,
      rssAfter: m.rss,
    }));
    const genHeap = genAfter.reduce((a, m, i) => a + m.heapUsed - (genBefore[i]?.heapUsed ?? 0), 0);
    // Prove the crowd is live: one message, every client counted once, in every generator.
    const cpu2 = crowd.cpu();
    let publishedAt: number;
    if (mode === 'bayeux') {
      publishedAt = (await first.call<{ at: number }>('publish', { channel: CHANNEL })).at;
    } else {
      const sent = await Promise.all(crowd.servers.map((s) => s.call<{ t0: number }>('broadcast')));
      publishedAt = Math.min(...sent.map((s) => s.t0));
    }
    const receipts = await crowd.guard(
      Promise.all(
        crowd.generators.map((g) =>
          g.call<Receipts>(
            'receipts',
            { timeoutMs: deliveryTimeoutMs(plan.clients) },
            deliveryTimeoutMs(plan.clients) + 30_000,
          ),
        ),
      ),
    );
    const cpu3 = crowd.cpu();
    await Promise.allSettled(crowd.generators.map((g) => g.call('teardown', {}, 60_000)));
    return {
      mode,
      target: plan.clients,
      plan,
      opened: total,
      failed: opened.reduce((a, r) => a + r.failed, 0),
      lost: opened.reduce((a, r) => a + r.lost, 0),
      firstError: opened.map((r) => r.firstError).find((e) => e) ?? '',
      stoppedBy: opened.map((r) => r.stoppedBy),
      rampMs: round(rampMs, 0),
      serverConnections: perNode,
      nodes: memoryFigures(nodes),
      generatorHeapPerClient: total > 0 ? genHeap / total : Number.NaN,
      redisPerClient: mode === 'bayeux' ? (redisAfter - redisBefore) / Math.max(1, total) : null,
      delivery: deliverySummary(receipts, publishedAt),
      rampCpuPerClient: cpuDelta(cpu0, cpu1, Math.max(1, total)),
      deliveryCpu: cpuDelta(cpu2, cpu3, 1),
    };
  } finally {
    await crowd.stop();
  }
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

/** One Markdown table for the crowd runs: figures, the per-node breakdown, and the load behind them. */
export function renderCrowd(results: readonly CrowdResult[]): string {
  const lines = [
    '| crowd | metric | value | per node / note | load avg before/after |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const load = r.load
      ? `load ${r.load.before.toFixed(1)}/${r.load.after.toFixed(1)}${Number.isFinite(r.load.foreign) ? ` others ${(r.load.foreign as number).toFixed(2)} cores` : ''}`
      : '';
    const wall = r.load?.quiet ? load : `${load} UNDER LOAD: wall clock not a result`;
    const name = `${r.mode} x${int(r.target)} (${r.plan.servers.length} servers, ${r.plan.generators.length} generators)`;
    const row = (metric: string, value: string, note: string, l: string): void => {
      lines.push(`| ${name} | ${metric} | ${value} | ${note} | ${l} |`);
    };
    const stopped = [...new Set(r.stoppedBy)].join(', ');
    row(
      'clients connected',
      `${int(r.opened)} of ${int(r.target)}`,
      `${int(r.failed)} failed, ${int(r.lost)} lost${r.firstError ? ` (first: ${r.firstError.slice(0, 80)})` : ''}; ramp ended: ${stopped}; servers hold ${r.serverConnections.map(int).join(' / ')}`,
      load,
    );
    row(
      'ramp time (s)',
      (r.rampMs / 1000).toFixed(1),
      `${int(r.opened / (r.rampMs / 1000))} clients/s, ${CROWD_LIMITS.INFLIGHT} handshakes in flight`,
      wall,
    );
    const rc = r.rampCpuPerClient;
    row(
      'CPU per client over the ramp (ms)',
      String(round(rc.servers + rc.generators + rc.redis, 2)),
      cpuNote(rc),
      `${load} (CPU time: steadier than wall clock)`,
    );
    row(
      'server heap per client (bytes)',
      int(r.nodes.all.heapPerClient),
      r.nodes.nodes.map((n) => int(n.heapPerClient)).join(' / '),
      `${load} (after forced GCs: load-independent)`,
    );
    row(
      'server RSS per client (bytes)',
      int(r.nodes.all.rssPerClient),
      r.nodes.nodes.map((n) => int(n.rssPerClient)).join(' / '),
      load,
    );
    if (r.redisPerClient !== null)
      row(
        'Redis used_memory per client (bytes)',
        int(r.redisPerClient),
        'INFO memory delta over the ramp',
        load,
      );
    row(
      'generator heap per client (bytes)',
      int(r.generatorHeapPerClient),
      'the load generator, for scale',
      load,
    );
    row(
      'received the one message',
      `${int(r.delivery.received)} of ${int(r.delivery.connected)}`,
      r.delivery.all ? 'all, once each' : `NOT ALL (${int(r.delivery.duplicates)} duplicates)`,
      load,
    );
    row(
      'time to deliver to everyone (ms)',
      int(r.delivery.ms),
      'publish to the last receipt, machine-wide monotonic clock',
      wall,
    );
    const dc = r.deliveryCpu;
    row(
      'CPU for that one delivery (ms)',
      int(dc.servers + dc.generators + dc.redis),
      cpuNote(dc),
      `${load} (CPU time)`,
    );
  }
  return lines.join('\n');
}

export async function runCrowdBench(o: BenchOptions): Promise<void> {
  const clients = o.clients ?? (o.quick ? CROWD_LIMITS.QUICK_CLIENTS : CROWD_LIMITS.DEFAULT_CLIENTS);
  const modes = MODES.filter((m) => !o.only || o.only.includes(m));
  const plan = planCrowd(clients);
  const problem = memoryProblem(clients, parseMemAvailable(readFileSync('/proc/meminfo', 'utf8')));
  if (problem) throw new Error(`crowd: ${problem}`);
  // Ctrl-C: exit, and the exit handlers (lib/proc.ts, redis-server.ts) kill every child.
  const onSignal = (): void => {
    console.error('crowd: interrupted, killing the children');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  console.log(
    `\n## crowd: ${clients.toLocaleString('en-US')} idle clients, ${plan.servers.length} server and ` +
      `${plan.generators.length} generator processes, sources 127.0.0.2-127.0.0.${1 + plan.addresses}`,
  );
  const results: CrowdResult[] = [];
  try {
    for (const mode of modes) {
      const { value, load } = await withLoad(`crowd ${mode} x${clients}`, () => runMode(mode, plan));
      results.push({ ...value, load });
      console.log(renderCrowd([results[results.length - 1] as CrowdResult]));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  console.log(`\n${renderCrowd(results)}`);
  console.log(`results: ${writeResults('crowd', results)}`);
}
