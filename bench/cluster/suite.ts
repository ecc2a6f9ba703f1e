// `npm run bench -- cluster`: issue 12's benchmark. The chat workload (bayeux/load-child.ts: CometD's chat,
// rooms of 10, rising rate) on 1, 2 and 3 node processes sharing one dedicated redis-server, ours
// (@pushwire/server + @pushwire/redis, compiled) and Faye + faye-redis interleaved in the same run; the
// generator spreads its clients round-robin over the nodes (no stickiness: rooms span nodes). Per step:
// delivered/s, p99, CPU of every node and of Redis, deliveries per CPU-second of nodes + Redis.
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { StepResult } from '../bayeux/load-child.js';
import { interleave, withLoad } from '../lib/honesty.js';
import type { BenchOptions } from '../lib/options.js';
import { type Child, startChild } from '../lib/proc.js';
import { round } from '../lib/stats.js';
import { type Row, renderTable, writeResults } from '../lib/table.js';
import { type ClusterRun, type ClusterStep, stepCpu, stepLine, summarise } from './aggregate.js';
import { type ClusterPlan, clusterPlan, stepBudgetMs, WARM_DRAIN_MS } from './plan.js';
import { commandDelta, type RedisChild, startRedis } from './redis-server.js';
import { type Summaries, scaleRows, versusRows } from './rows.js';
import { roomsSpanningNodes, spreadCounts } from './spread.js';

const IMPLS = ['pushwire', 'faye'] as const;
const NAMES: Record<string, string> = { pushwire: 'ours (@pushwire/redis)', faye: 'faye-redis' };
const NODE_COUNTS = [1, 2, 3] as const;
const ROOM_SIZE = 10;

export const CAVEAT =
  'CAVEAT: this machine has ' +
  `${cpus().length} cores shared by the generator, redis-server and every node: with 2 or 3 nodes the ` +
  'processes compete for the same cores, so the scale-out ratio (N nodes / 1 node) is bounded by the ' +
  'hardware, not only by the engine. Deliveries per CPU-second (nodes + Redis; the generator not counted) ' +
  'is the fairer figure: it says how much work the cluster spends per delivery whatever CPU it was given.';

/** Whether faye-redis can be loaded; the reason when not (printed, never skipped silently). */
async function fayeRedisProblem(): Promise<string | null> {
  try {
    await import('faye-redis');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

async function cpuOf(nodes: Child[]): Promise<number[]> {
  const u = await Promise.all(nodes.map((n) => n.call<NodeJS.CpuUsage>('cpu')));
  return u.map((x) => x.user + x.system);
}

async function clusterRun(impl: string, n: number, plan: ClusterPlan, rep: number): Promise<ClusterRun> {
  const out: ClusterRun = { impl, nodes: n, clients: plan.clients, steps: [] };
  let redis: RedisChild | null = null;
  const nodes: Child[] = [];
  let load: Child | null = null;
  try {
    redis = await startRedis();
    const prefix = `bench-${impl}-${n}-${rep}`;
    const started = await Promise.allSettled(
      Array.from({ length: n }, (_v, k) =>
        startChild(
          `${impl}-node${k + 1}`,
          'cluster/node-child.ts',
          [impl, String(redis?.port), prefix],
          60_000,
        ),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    load = await startChild('cluster-load', 'bayeux/load-child.ts');
    const ports = nodes.map((c) => (c.info as { port: number }).port);
    const path = (nodes[0]?.info as { path: string } | undefined)?.path ?? '/bayeux';
    console.log(
      `  ${impl} x${n}: redis-server pid ${redis.pid} port ${redis.port}; clients per node ${spreadCounts(plan.clients, n).join('/')}, rooms spanning nodes ${roomsSpanningNodes(plan.clients, ROOM_SIZE, n)}/${Math.ceil(plan.clients / ROOM_SIZE)}`,
    );
    await load.call('setup', {
      host: '127.0.0.1',
      port: ports[0],
      ports,
      path,
      transport: 'websocket',
      protocol: 'bayeux',
      clients: plan.clients,
      roomSize: ROOM_SIZE,
      concurrency: 50,
    });
    // Warm-up at the lowest rate (JIT, connections to Redis), not recorded.
    await load.call<StepResult>('step', {
      deliveredRate: plan.steps[0],
      durationMs: plan.warmMs,
      drainMs: WARM_DRAIN_MS,
    });
    let bad = 0;
    for (const rate of plan.steps) {
      const node0 = await cpuOf(nodes);
      const cmds0 = await redis.commandCalls();
      const redis0 = redis.cpuSeconds();
      const t0 = performance.now();
      const s = await load.call<StepResult>('step', {
        deliveredRate: rate,
        durationMs: plan.stepMs,
        drainMs: plan.drainMs,
      });
      const node1 = await cpuOf(nodes);
      const redisS = redis.cpuSeconds() - redis0;
      const wall = performance.now() - t0;
      const commands = commandDelta(cmds0, await redis.commandCalls());
      const step: ClusterStep = {
        ...s,
        ...stepCpu(
          s.received,
          wall,
          node1.map((x, i) => x - (node0[i] ?? 0)),
          redisS,
        ),
        redisCommands: commands,
        redisCommandsPerDelivery: round((commands['*'] ?? 0) / Math.max(1, s.received), 2),
      };
      out.steps.push(step);
      console.log(stepLine(impl, n, step));
      if (s.errors > 0)
        console.log(`    last error: ${(await load.call<{ lastError: string }>('lastError')).lastError}`);
      // Past the knee (as the chat suite): two bad steps in a row end the climb.
      bad = s.fraction < 0.9 || s.p99 > 3000 ? bad + 1 : 0;
      if (bad >= 2) break;
    }
  } catch (err) {
    out.error = err instanceof Error ? err.message : String(err);
    console.log(`  ${impl} x${n}: FAILED ${out.error}`);
  } finally {
    await load?.call('teardown').catch(() => {});
    await load?.stop();
    await Promise.all(nodes.map((c) => c.stop()));
    await redis?.stop();
  }
  return out;
}

export async function runClusterBench(opts: BenchOptions): Promise<void> {
  const base = clusterPlan(opts.quick);
  const plan: ClusterPlan = {
    ...base,
    ...(opts.steps ? { steps: opts.steps } : {}),
    ...(opts.clients ? { clients: opts.clients } : {}),
  };
  // --only picks node counts (e.g. --only=1,2); --servers picks contenders (pushwire, faye).
  const nodeCounts = NODE_COUNTS.filter((n) => !opts.only || opts.only.includes(String(n)));
  let impls: string[] = IMPLS.filter((s) => !opts.servers || opts.servers.includes(s));
  const problem = impls.includes('faye') ? await fayeRedisProblem() : null;
  if (problem) {
    console.log(`!!! faye-redis CANNOT BE LOADED (${problem}): its columns are n/a in this run !!!`);
    impls = impls.filter((s) => s !== 'faye');
  }
  console.log(
    `cluster bench (${opts.quick ? 'quick' : 'full'}): ${impls.join(', ')} on ${nodeCounts.join('/')} node(s), ${plan.clients} websocket chat clients round-robin over the nodes, rooms of ${ROOM_SIZE}, ${plan.rounds} interleaved round(s), medians`,
  );
  const budget = stepBudgetMs(plan, plan.rounds * nodeCounts.length * impls.length);
  console.log(
    `bounded: warm-ups and steps take at most ${(budget / 60_000).toFixed(1)} min (plus child start-up)`,
  );
  console.log(CAVEAT);
  const runs: Record<string, Record<number, ClusterRun[]>> = {};
  for (let r = 0; r < plan.rounds; r++) {
    for (const n of interleave(nodeCounts, r)) {
      for (const impl of interleave(impls, r)) {
        const { value, load } = await withLoad(`${impl} x${n} round ${r + 1}`, () =>
          clusterRun(impl, n, plan, r),
        );
        value.load = load;
        ((runs[impl] ??= {})[n] ??= []).push(value);
      }
    }
  }
  const all: Summaries = {};
  for (const [impl, byN] of Object.entries(runs))
    for (const [n, list] of Object.entries(byN)) (all[impl] ??= {})[Number(n)] = summarise(list);
  const versus: Row[] = versusRows(all, nodeCounts, 'pushwire', 'faye', 'faye-redis');
  if (problem) for (const row of versus) row.note = `faye-redis not run: ${problem}`;
  const scale: Row[] = impls.flatMap((impl) =>
    scaleRows(all, impl, NAMES[impl] ?? impl, nodeCounts, impl === 'pushwire'),
  );
  console.log(`\n${renderTable(versus, 'faye-redis')}\n`);
  console.log(`${renderTable(scale, '1 node', 'N nodes')}\n`);
  console.log(CAVEAT);
  const file = writeResults('cluster', {
    date: new Date().toISOString(),
    quick: opts.quick,
    plan,
    cores: cpus().length,
    fayeRedis: problem ?? 'ok',
    runs,
    summaries: all,
    versus,
    scale,
  });
  console.log(`results: ${file}`);
}
