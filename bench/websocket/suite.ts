// `npm run bench -- websocket`: our WebSocket server vs ws@8, same load generator, same run.
// Each server runs in its own child process, the generator in another; see bench/README.md.
import { performance } from 'node:perf_hooks';
import { interleave, median, type RunLoad, withLoad, worstLoad } from '../lib/honesty.js';
import type { BenchOptions } from '../lib/options.js';
import { type Child, snapshot, startChild } from '../lib/proc.js';
import { round } from '../lib/stats.js';
import { type Row, renderTable, writeResults } from '../lib/table.js';

interface EchoScenario {
  name: string;
  conns: number;
  window: number;
  size: number;
  target?: number;
}

// Windows: one connection needs a deep pipeline to measure the server rather than the loopback round
// trip; with 1000 connections one message each already keeps the server saturated.
const ECHO: EchoScenario[] = [
  { name: 'echo 32 B x1 conn', conns: 1, window: 16, size: 32, target: 1.2 },
  { name: 'echo 32 B x100 conns', conns: 100, window: 4, size: 32, target: 1.2 },
  { name: 'echo 32 B x1000 conns', conns: 1000, window: 1, size: 32, target: 1.2 },
  { name: 'echo 64 KiB x10 conns', conns: 10, window: 2, size: 65536, target: 1.2 },
];

interface EchoResult {
  rate: number;
  mbPerSec: number;
  p50: number;
  p99: number;
  lost: number;
  messages: number;
  loadCpu: number;
  /** Server CPU over the whole scenario (connect, warm-up, measure), % of one core. */
  serverCpu?: number;
  echoedTotal: number;
  /** Load average before/after this run (filled in by the harness). */
  load?: RunLoad;
  /**
   * Echoes per second of server CPU (whole run): robust to CPU stolen by other processes on a shared
   * machine, where messages/s mostly measures how much CPU the server was given.
   */
  perCpuSecond?: number;
}
interface Mem {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  clients: number;
}
interface ServerResult {
  server: string;
  error?: string;
  echo: Record<string, EchoResult>;
  crowd?: {
    connections: number;
    connectMs: number;
    heapPerConn: number;
    rssPerConn: number;
    externalPerConn: number;
    /** Median deliveries/s to the last receipt; serverMs: median time the server spent in the call. */
    broadcast: { deliveriesPerSec: number; runs: number[]; serverMs: number; perCpuSecond: number };
    burst: { deliveriesPerSec: number; runs: number[]; serverMs: number; perCpuSecond: number };
    load?: RunLoad;
  };
}

/** The run with the median rate (its latencies go with it), so one noisy run does not decide. */
function medianRun(runs: EchoResult[]): EchoResult | undefined {
  return [...runs].sort((a, b) => a.rate - b.rate)[Math.floor(runs.length / 2)];
}

/**
 * Broadcasts `count` messages to the crowd: deliveries/s measured to the last receipt, and the ms the
 * server spent in the broadcast call itself (its share of the work).
 */
async function broadcastOnce(
  server: Child,
  load: Child,
  crowd: number,
  count: number,
): Promise<{ rate: number; serverMs: number; perCpuSecond: number }> {
  await load.call('expect', { total: crowd * count });
  const sent = await server.call<{ t0: number; t1: number; cpuMs: number }>('broadcast', { size: 32, count });
  const done = await load.call<{ received: number; lastAt: number }>('wait', { timeoutMs: 180_000 }, 200_000);
  if (done.received < crowd * count)
    throw new Error(`broadcast lost ${crowd * count - done.received} messages`);
  return {
    rate: (crowd * count) / ((done.lastAt - sent.t0) / 1000),
    serverMs: sent.t1 - sent.t0,
    perCpuSecond: (crowd * count) / (sent.cpuMs / 1000),
  };
}

/** One echo scenario on a fresh server and generator (one scenario's garbage stays out of the next). */
async function echoOnce(impl: string, sc: EchoScenario, opts: BenchOptions): Promise<EchoResult> {
  const server = await startChild(`${impl}-server`, 'websocket/server-child.ts', [impl]);
  const load = await startChild('ws-load', 'websocket/load-child.ts').catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  try {
    const port = (server.info as { port: number }).port;
    const cpu0 = await server.call<NodeJS.CpuUsage>('cpu');
    const t0 = performance.now();
    const r = await load.call<EchoResult>('echo', {
      port,
      ...sc,
      warmupMs: opts.quick ? 200 : 1000,
      durationMs: opts.quick ? 600 : 3000,
      binary: false,
    });
    const cpu1 = await server.call<NodeJS.CpuUsage>('cpu');
    const used = cpu1.user + cpu1.system - cpu0.user - cpu0.system;
    r.serverCpu = round(used / 10 / (performance.now() - t0), 0);
    r.perCpuSecond = round(r.echoedTotal / (used / 1e6), 0);
    console.log(
      `  ${impl} ${sc.name}: ${r.rate} msg/s (${r.perCpuSecond} per server CPU-s) p50 ${r.p50} ms p99 ${r.p99} ms lost ${r.lost} cpu server ${r.serverCpu}% load ${r.loadCpu}%`,
    );
    return r;
  } finally {
    await load.stop();
    await server.stop();
  }
}

type Crowd = NonNullable<ServerResult['crowd']>;

/** 10,000 idle connections: memory per connection, then single broadcasts and bursts of 100. */
async function crowdOnce(impl: string, opts: BenchOptions): Promise<Crowd> {
  const crowd = opts.clients ?? (opts.quick ? 1000 : 10_000);
  const server = await startChild(`${impl}-server`, 'websocket/server-child.ts', [impl]);
  const load = await startChild('ws-load', 'websocket/load-child.ts').catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  try {
    const port = (server.info as { port: number }).port;
    const before = await server.call<Mem>('mem');
    const conn = await load.call<{ opened: number; ms: number }>('connect', { port, count: crowd });
    const after = await server.call<Mem>('mem');
    if (after.clients !== crowd) throw new Error(`server sees ${after.clients} of ${crowd} connections`);
    await snapshot(server, `ws-${impl}-${crowd}-idle`);
    // Bursts are 100x the work (1,000,000 deliveries at 10,000 connections): fewer repeats.
    const reps = opts.quick ? 3 : 7;
    const burstReps = opts.quick ? 1 : 3;
    const single: Array<{ rate: number; serverMs: number; perCpuSecond: number }> = [];
    for (let i = 0; i < reps; i++) single.push(await broadcastOnce(server, load, crowd, 1));
    const burst: Array<{ rate: number; serverMs: number; perCpuSecond: number }> = [];
    for (let i = 0; i < burstReps; i++) burst.push(await broadcastOnce(server, load, crowd, 100));
    const summary = (
      runs: Array<{ rate: number; serverMs: number; perCpuSecond: number }>,
    ): Crowd['broadcast'] => ({
      deliveriesPerSec: round(median(runs.map((x) => x.rate)), 0),
      runs: runs.map((x) => round(x.rate, 0)),
      serverMs: round(median(runs.map((x) => x.serverMs)), 1),
      perCpuSecond: round(median(runs.map((x) => x.perCpuSecond)), 0),
    });
    const r: Crowd = {
      connections: crowd,
      connectMs: conn.ms,
      heapPerConn: round((after.heapUsed - before.heapUsed) / crowd, 0),
      rssPerConn: round((after.rss - before.rss) / crowd, 0),
      externalPerConn: round((after.external - before.external) / crowd, 0),
      broadcast: summary(single),
      burst: summary(burst),
    };
    console.log(`  ${impl} crowd: ${JSON.stringify(r)}`);
    return r;
  } finally {
    await load.call('disconnect').catch(() => {});
    await load.stop();
    await server.stop();
  }
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Runs every scenario for every server, interleaved (ws, ours, ws, ours ...) so that load from other
 * processes on this shared machine falls on both alike; each echo figure is the median of `reps` runs.
 */
async function benchAll(impls: string[], opts: BenchOptions): Promise<Record<string, ServerResult>> {
  const out: Record<string, ServerResult> = {};
  for (const impl of impls) out[impl] = { server: impl, echo: {} };
  const reps = opts.quick ? 1 : 3;
  if (!opts.only || opts.only.includes('echo')) {
    for (const sc of ECHO) {
      const runs: Record<string, EchoResult[]> = {};
      for (let rep = 0; rep < reps; rep++) {
        for (const impl of interleave(impls, rep)) {
          try {
            const { value, load } = await withLoad(`${impl} ${sc.name}`, () => echoOnce(impl, sc, opts));
            value.load = load;
            (runs[impl] ??= []).push(value);
          } catch (err) {
            (out[impl] as ServerResult).error = errorText(err);
            console.log(`  ${impl} ${sc.name}: FAILED ${errorText(err)}`);
          }
        }
      }
      for (const impl of impls) {
        const m = medianRun(runs[impl] ?? []);
        // The row is only as quiet as the noisiest run behind the median.
        const load = worstLoad((runs[impl] ?? []).flatMap((r) => (r.load ? [r.load] : [])));
        if (m) (out[impl] as ServerResult).echo[sc.name] = { ...m, ...(load ? { load } : {}) };
      }
    }
  }
  if (!opts.only || opts.only.includes('crowd')) {
    // 'bare' (pre-framed socket.write per client) gives the ceiling the generator and loopback allow.
    const crowdImpls = opts.servers ? impls : [...impls, 'bare'];
    for (const impl of crowdImpls) {
      out[impl] ??= { server: impl, echo: {} };
      try {
        const { value, load } = await withLoad(`${impl} crowd`, () => crowdOnce(impl, opts));
        (out[impl] as ServerResult).crowd = { ...value, load };
      } catch (err) {
        (out[impl] as ServerResult).error = errorText(err);
        console.log(`  ${impl} crowd: FAILED ${errorText(err)}`);
      }
    }
  }
  return out;
}

function rows(ours: ServerResult, peer: ServerResult, bare: Crowd | undefined): Row[] {
  const out: Row[] = [];
  const both = (a: RunLoad | undefined, b: RunLoad | undefined): RunLoad | null =>
    worstLoad([a, b].filter((x): x is RunLoad => x !== undefined));
  for (const sc of ECHO) {
    const o = ours.echo[sc.name];
    const p = peer.echo[sc.name];
    const tgt = { ...(sc.target === undefined ? {} : { target: sc.target }), load: both(o?.load, p?.load) };
    out.push({
      scenario: sc.name,
      metric: 'messages/s',
      unit: 'msg/s',
      ours: o?.rate ?? null,
      peer: p?.rate ?? null,
      higherIsBetter: true,
      ...tgt,
    });
    out.push({
      scenario: sc.name,
      metric: 'echoes per server CPU-second',
      unit: 'msg',
      ours: o?.perCpuSecond ?? null,
      peer: p?.perCpuSecond ?? null,
      higherIsBetter: true,
    });
    out.push({
      scenario: sc.name,
      metric: 'p50 RTT',
      unit: 'ms',
      ours: o?.p50 ?? null,
      peer: p?.p50 ?? null,
      higherIsBetter: false,
    });
    out.push({
      scenario: sc.name,
      metric: 'p99 RTT',
      unit: 'ms',
      ours: o?.p99 ?? null,
      peer: p?.p99 ?? null,
      higherIsBetter: false,
    });
    for (const row of out.slice(-4)) row.load = tgt.load;
  }
  const oc = ours.crowd;
  const pc = peer.crowd;
  const n = oc?.connections ?? pc?.connections ?? 0;
  const crowdLoad = both(oc?.load, pc?.load);
  const start = out.length;
  out.push({
    scenario: `broadcast 1 msg to ${n}`,
    metric: 'deliveries/s',
    unit: 'msg/s',
    ours: oc?.broadcast.deliveriesPerSec ?? null,
    peer: pc?.broadcast.deliveriesPerSec ?? null,
    higherIsBetter: true,
    target: 1,
    note: bare ? `(bare socket.write: ${bare.broadcast.deliveriesPerSec.toLocaleString('en-US')})` : '',
  });
  out.push({
    scenario: `burst 100 msgs to ${n}`,
    metric: 'deliveries/s',
    unit: 'msg/s',
    ours: oc?.burst.deliveriesPerSec ?? null,
    peer: pc?.burst.deliveriesPerSec ?? null,
    higherIsBetter: true,
    target: 3,
    note: bare ? `(bare socket.write: ${bare.burst.deliveriesPerSec.toLocaleString('en-US')})` : '',
  });
  for (const kind of ['broadcast', 'burst'] as const) {
    out.push({
      scenario: kind === 'broadcast' ? `broadcast 1 msg to ${n}` : `burst 100 msgs to ${n}`,
      metric: 'deliveries per server CPU-second (the broadcast call)',
      unit: 'msg',
      ours: oc?.[kind].perCpuSecond ?? null,
      peer: pc?.[kind].perCpuSecond ?? null,
      higherIsBetter: true,
      note: bare ? `(bare: ${bare[kind].perCpuSecond.toLocaleString('en-US')})` : '',
    });
  }
  out.push({
    scenario: `open ${n} conns (256 in flight)`,
    metric: 'handshakes/s',
    unit: '1/s',
    ours: oc ? round(oc.connections / (oc.connectMs / 1000), 0) : null,
    peer: pc ? round(pc.connections / (pc.connectMs / 1000), 0) : null,
    higherIsBetter: true,
  });
  const heapNote = oc ? (oc.heapPerConn <= 1536 ? 'ours <= 1.5 KB: met' : 'ours <= 1.5 KB: MISSED') : '';
  out.push({
    scenario: `idle conns x${n}`,
    metric: 'heap per conn',
    unit: 'bytes',
    ours: oc?.heapPerConn ?? null,
    peer: pc?.heapPerConn ?? null,
    higherIsBetter: false,
    note: heapNote,
  });
  out.push({
    scenario: `idle conns x${n}`,
    metric: 'RSS per conn',
    unit: 'bytes',
    ours: oc?.rssPerConn ?? null,
    peer: pc?.rssPerConn ?? null,
    higherIsBetter: false,
  });
  for (let i = start; i < out.length; i++) (out[i] as Row).load = crowdLoad;
  return out;
}

export async function runWebsocketBench(opts: BenchOptions): Promise<void> {
  console.log(`websocket bench (${opts.quick ? 'quick' : 'full'}): ws@8 and ours, interleaved`);
  const impls = ['ws', 'pushwire', 'bare'].filter((s) =>
    opts.servers ? opts.servers.includes(s) : s !== 'bare',
  );
  const all = await benchAll(impls, opts);
  const peer = all.ws ?? { server: 'ws', echo: {} };
  const bare = all.bare?.crowd;
  const ours = all.pushwire ?? { server: 'pushwire', echo: {} };
  const table = rows(ours, peer, bare).filter((r) => r.ours !== null || r.peer !== null);
  console.log(`\n${renderTable(table, 'ws@8')}\n`);
  const file = writeResults('websocket', {
    date: new Date().toISOString(),
    quick: opts.quick,
    ours,
    peer,
    table,
  });
  console.log(`results: ${file}`);
}
