// `npm run bench -- bayeux`: the CometD chat workload against our Bayeux server, Faye's NodeAdapter and
// Socket.IO 4.8 in the same run (interleaved, rotated each round, medians of the rounds), over websocket
// and long-polling; memory per idle client; client CPU cost per delivery.
import { performance } from 'node:perf_hooks';
import { interleave, type RunLoad, withLoad, worstLoad } from '../lib/honesty.js';
import type { BenchOptions } from '../lib/options.js';
import { type Child, snapshot, startChild } from '../lib/proc.js';
import { round } from '../lib/stats.js';
import { type Row, renderTable, writeResults } from '../lib/table.js';
import { medianResult, sustained, type TransportResult } from './aggregate.js';
import { type ClientCost, type ClientCostResult, runClientCost } from './client-cost.js';
import type { StepResult } from './load-child.js';

interface TransportPlan {
  transport: 'websocket' | 'long-polling';
  clients: number;
  roomSize: number;
  /** Delivered messages/s per step, rising. */
  steps: number[];
  target: number;
  /**
   * A step counts as sustained when nothing is lost and p99 is under this bound. Websocket: 50 ms (issue 3).
   * Long-polling has no bound in the issue; every delivery costs a connect round trip and batches grow with
   * load, so we use 500 ms (Faye's figure "holds ~12k/s" matches that bound on this machine).
   */
  p99BoundMs: number;
}

function plans(quick: boolean): TransportPlan[] {
  return [
    {
      transport: 'websocket',
      clients: quick ? 100 : 1000,
      roomSize: 10,
      steps: quick
        ? [5000]
        : [
            // Up to 320k: at 160k (the old top step) ours ran at 42 % server CPU, so "sustained" was the
            // bench's ceiling, not ours (bench/README.md, 2026-12-03 quiet run).
            2000, 5000, 10_000, 15_000, 20_000, 30_000, 40_000, 60_000, 80_000, 100_000, 120_000, 140_000,
            160_000, 200_000, 240_000, 280_000, 320_000,
          ],
      target: 5,
      p99BoundMs: 50,
    },
    {
      transport: 'long-polling',
      clients: quick ? 50 : 200,
      roomSize: 10,
      // Up to 120k: every contender delivered 60k (the old top step) in full on the quiet machine.
      steps: quick
        ? [2000]
        : [1000, 2000, 5000, 7500, 10_000, 15_000, 20_000, 30_000, 40_000, 60_000, 80_000, 100_000, 120_000],
      target: 4,
      p99BoundMs: 500,
    },
  ];
}

/**
 * Contenders on the chat workload: Faye (the peer), ours, Socket.IO 4.8 (engine.io protocol), and
 * `pushwire-history` (ours with history on every room, issue 9), which runs only when named in --servers.
 */
const IMPLS = ['faye', 'pushwire', 'socketio', 'pushwire-history'] as const;
const PEER_NAMES: Record<string, string> = { faye: 'Faye', socketio: 'Socket.IO 4.8' };

interface Mem {
  heapUsed: number;
  rss: number;
}

async function benchTransport(
  impl: string,
  plan: TransportPlan,
  opts: BenchOptions,
): Promise<TransportResult> {
  const out: TransportResult = {
    transport: plan.transport,
    clients: plan.clients,
    steps: [],
    sustained: null,
    sustainedP99: null,
    perCpuSecond: null,
  };
  let server: Child | null = null;
  let load: Child | null = null;
  try {
    server = await startChild(`${impl}-chat`, 'bayeux/server-child.ts', [impl]);
    load = await startChild('bayeux-load', 'bayeux/load-child.ts');
    const info = server.info as { port: number; path: string };
    const before = await server.call<Mem>('mem');
    const setupArgs = {
      host: '127.0.0.1',
      port: info.port,
      path: info.path,
      transport: plan.transport,
      protocol: impl === 'socketio' ? 'socketio' : 'bayeux',
      clients: plan.clients,
      roomSize: plan.roomSize,
      concurrency: 50,
    };
    await load.call('setup', setupArgs);
    const after = await server.call<Mem>('mem');
    await snapshot(server, `bayeux-${impl}-${plan.transport}-${plan.clients}-idle`);
    out.heapPerClient = round((after.heapUsed - before.heapUsed) / plan.clients, 0);
    out.rssPerClient = round((after.rss - before.rss) / plan.clients, 0);
    // The marginal figure: N more clients of the same shape in the same server, (heap at 2N - heap at N) / N.
    // The first N paid the one-time costs (JIT code, lazily built shared structures), so this is what one
    // more idle client holds. They are disconnected again before the chat steps.
    await load.call('grow', { ...setupArgs, clients: plan.clients });
    const doubled = await server.call<Mem>('mem');
    await snapshot(server, `bayeux-${impl}-${plan.transport}-${2 * plan.clients}-idle`);
    out.marginalHeapPerClient = round((doubled.heapUsed - after.heapUsed) / plan.clients, 0);
    await load.call('shed');
    // Warm-up at the lowest rate (JIT, buffers), not recorded.
    await load.call<StepResult>('step', {
      deliveredRate: plan.steps[0],
      durationMs: opts.quick ? 500 : 1000,
      drainMs: 2000,
    });
    let bad = 0;
    for (const rate of plan.steps) {
      const cpu0 = await server.call<NodeJS.CpuUsage>('cpu');
      const t0 = performance.now();
      const s = await load.call<StepResult>('step', {
        deliveredRate: rate,
        durationMs: opts.quick ? 1000 : 4000,
        drainMs: opts.quick ? 1500 : 4000,
      });
      const cpu1 = await server.call<NodeJS.CpuUsage>('cpu');
      const usedUs = cpu1.user + cpu1.system - cpu0.user - cpu0.system;
      s.serverCpu = round(usedUs / 10 / (performance.now() - t0), 0);
      s.perCpuSecond = round(s.received / (usedUs / 1e6), 0);
      out.steps.push(s);
      console.log(
        `  ${impl} ${plan.transport} target ${rate}/s: delivered ${s.rate}/s (${(s.fraction * 100).toFixed(2)}%) p50 ${s.p50} ms p99 ${s.p99} ms errors ${s.errors} cpu server ${s.serverCpu}% (${s.perCpuSecond} per CPU-s) ${s.perResponse} deliveries per response, load ${s.loadCpu}%`,
      );
      if (s.errors > 0) {
        const e = await load.call<{ lastError: string }>('lastError');
        console.log(`    last error: ${e.lastError}`);
      }
      // Past the knee: higher steps can only be worse, and they cost time. Two bad steps in a row, so one
      // noisy step on this shared machine does not end the climb.
      bad = s.fraction < 0.9 || s.p99 > 3000 ? bad + 1 : 0;
      if (bad >= 2) break;
    }
    const best = sustained(out.steps, plan.p99BoundMs);
    out.sustained = best?.rate ?? null;
    out.sustainedP99 = best?.p99 ?? null;
    const whole = out.steps.filter((x) => x.received >= x.expected && x.perCpuSecond !== undefined);
    out.perCpuSecond = whole.length > 0 ? Math.max(...whole.map((x) => x.perCpuSecond ?? 0)) : null;
  } catch (err) {
    out.error = err instanceof Error ? err.message : String(err);
    console.log(`  ${impl} ${plan.transport}: FAILED ${out.error}`);
  } finally {
    await load?.call('teardown').catch(() => {});
    await load?.stop();
    await server?.stop();
  }
  return out;
}

/** The chat rows for one peer (Faye or Socket.IO) against ours. */
function chatRows(
  results: Record<string, Record<string, TransportResult>>,
  peerImpl: string,
  quick: boolean,
): Row[] {
  const table: Row[] = [];
  for (const plan of plans(quick)) {
    const o = results.pushwire?.[plan.transport];
    const p = results[peerImpl]?.[plan.transport];
    if (!o && !p) continue;
    const load = worstLoad([o?.load, p?.load].filter((x): x is RunLoad => !!x));
    const label = `chat ${plan.transport} ${o?.clients ?? p?.clients ?? plan.clients} clients, rooms of ${plan.roomSize}`;
    const faye = peerImpl === 'faye';
    table.push({
      scenario: label,
      metric: `sustained deliveries/s at p99 < ${plan.p99BoundMs} ms, none lost`,
      unit: 'msg/s',
      ours: o?.sustained ?? null,
      peer: p?.sustained ?? null,
      higherIsBetter: true,
      ...(faye ? { target: plan.target } : {}),
    });
    table.push({
      scenario: label,
      metric: 'p99 at that step',
      unit: 'ms',
      ours: o?.sustainedP99 ?? null,
      peer: p?.sustainedP99 ?? null,
      higherIsBetter: false,
    });
    // Server efficiency compared at the same offered load: the highest step both servers delivered in full
    // (batching makes higher steps cheaper per delivery, so best-vs-best would favour whoever got further).
    const full = (r: TransportResult | undefined): Map<number, StepResult> =>
      new Map((r?.steps ?? []).filter((x) => x.received >= x.expected).map((x) => [x.target, x]));
    const fo = full(o);
    const fp = full(p);
    const common = [...fo.keys()].filter((t) => fp.has(t));
    const at = common.length > 0 ? Math.max(...common) : undefined;
    table.push({
      scenario: label,
      metric: `deliveries per server CPU-second at ${at ?? '-'}/s offered (highest step both delivered in full)`,
      unit: 'msg',
      ours: at === undefined ? null : (fo.get(at)?.perCpuSecond ?? null),
      peer: at === undefined ? null : (fp.get(at)?.perCpuSecond ?? null),
      higherIsBetter: true,
    });
    table.push({
      scenario: label,
      metric: 'heap per idle client',
      unit: 'bytes',
      ours: o?.heapPerClient ?? null,
      peer: p?.heapPerClient ?? null,
      higherIsBetter: false,
      ...(faye && plan.transport === 'websocket' ? { target: 2 } : {}),
    });
    table.push({
      scenario: label,
      metric: `marginal heap per idle client (${o?.clients ?? p?.clients ?? plan.clients} -> ${2 * (o?.clients ?? p?.clients ?? plan.clients)} in one server)`,
      unit: 'bytes',
      ours: o?.marginalHeapPerClient ?? null,
      peer: p?.marginalHeapPerClient ?? null,
      higherIsBetter: false,
    });
    table.push({
      scenario: label,
      metric: 'RSS per idle client',
      unit: 'bytes',
      ours: o?.rssPerClient ?? null,
      peer: p?.rssPerClient ?? null,
      higherIsBetter: false,
    });
    for (const row of table.slice(-6)) row.load = load;
  }
  return table;
}

export async function runBayeuxBench(opts: BenchOptions): Promise<void> {
  const impls = IMPLS.filter((s) => (opts.servers ? opts.servers.includes(s) : s !== 'pushwire-history'));
  const rounds = opts.quick ? 1 : 3;
  if (process.env.BENCH_PUSHWIRE_OPTIONS)
    console.log(`our server's options: ${process.env.BENCH_PUSHWIRE_OPTIONS}`);
  console.log(
    `chat bench (${opts.quick ? 'quick' : 'full'}): ${impls.join(', ')}, ${rounds} interleaved round(s), medians`,
  );
  const runs: Record<string, Record<string, TransportResult[]>> = {};
  for (const base of plans(opts.quick).filter((p) => !opts.only || opts.only.includes(p.transport))) {
    const plan = {
      ...base,
      ...(opts.steps ? { steps: opts.steps } : {}),
      ...(opts.clients ? { clients: opts.clients } : {}),
    };
    for (let r = 0; r < rounds; r++) {
      for (const impl of interleave(impls, r)) {
        const { value, load } = await withLoad(`${impl} ${plan.transport} round ${r + 1}`, () =>
          benchTransport(impl, plan, opts),
        );
        value.load = load;
        ((runs[impl] ??= {})[plan.transport] ??= []).push(value);
      }
    }
  }
  const results: Record<string, Record<string, TransportResult>> = {};
  for (const [impl, byTransport] of Object.entries(runs)) {
    for (const [transport, list] of Object.entries(byTransport)) {
      const m = medianResult(list);
      if (m) (results[impl] ??= {})[transport] = m;
    }
  }
  const cost: ClientCostResult | null =
    (!opts.only && !opts.quick) || opts.only?.includes('client')
      ? (await withLoad('client cost', () => runClientCost(opts))).value
      : null;
  const table: Row[] = chatRows(results, 'faye', opts.quick);
  for (const plan of plans(opts.quick)) {
    const off = results.pushwire?.[plan.transport];
    const on = results['pushwire-history']?.[plan.transport];
    if (!off || !on) continue;
    // Issue 9: history may cost at most 15 % of the deliveries per server CPU-second (higher is better; the
    // "peer" column is ours without history).
    table.push({
      scenario: `chat ${plan.transport} ${plan.clients} clients: history on (ours) vs off (peer)`,
      metric: 'best deliveries per server CPU-second over the steps delivered in full',
      unit: 'msg',
      ours: on.perCpuSecond,
      peer: off.perCpuSecond,
      higherIsBetter: true,
      target: 0.85,
      load: worstLoad([on.load, off.load].filter((x): x is RunLoad => !!x)),
    });
  }
  if (cost) {
    const scenario = `client, ${cost.clients} Node clients on ${cost.server} server (websocket)`;
    table.push({
      scenario,
      metric: 'CPU per delivered message',
      unit: 'µs',
      ours: cost.pushwire?.cpuPerMessageUs ?? null,
      peer: cost.faye?.cpuPerMessageUs ?? null,
      higherIsBetter: false,
    });
    table.push({
      scenario,
      metric: 'event-loop time per delivered message',
      unit: 'µs',
      ours: cost.pushwire?.loopPerMessageUs ?? null,
      peer: cost.faye?.loopPerMessageUs ?? null,
      higherIsBetter: false,
    });
    const lost = (c: ClientCost | null): string => (c ? `${c.expected - c.received}` : 'n/a');
    table.push({
      scenario,
      metric: 'messages lost',
      unit: 'count',
      ours: cost.pushwire ? cost.pushwire.expected - cost.pushwire.received : null,
      peer: cost.faye ? cost.faye.expected - cost.faye.received : null,
      higherIsBetter: false,
      note: `ours ${lost(cost.pushwire)}, Faye ${lost(cost.faye)}`,
    });
  }
  console.log(`\n${renderTable(table, 'Faye')}\n`);
  const sio = chatRows(results, 'socketio', opts.quick).filter((r) => r.ours !== null || r.peer !== null);
  if (sio.length > 0) console.log(`${renderTable(sio, PEER_NAMES.socketio ?? 'socketio')}\n`);
  const file = writeResults('bayeux', {
    date: new Date().toISOString(),
    quick: opts.quick,
    runs,
    results,
    cost,
    table,
    socketio: sio,
  });
  console.log(`results: ${file}`);
}
