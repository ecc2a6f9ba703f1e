// `npm run bench -- websocket`: our WebSocket server vs ws@8, same load generator, same run.
// Each server runs in its own child process, the generator in another; see bench/README.md.
import { performance } from 'node:perf_hooks';
import { type Child, startChild } from '../lib/proc.js';
import { round } from '../lib/stats.js';
import { type Row, renderTable, writeResults } from '../lib/table.js';

export interface BenchOptions {
  quick: boolean;
  /** Restricts the scenarios (bayeux: transports `websocket`, `long-polling`, `client`). */
  only?: string[];
  /** Restricts the servers run (e.g. `ws`, `pushwire`, `faye`). */
  servers?: string[];
}

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
    broadcast: { deliveriesPerSec: number; runs: number[] };
    burst: { deliveriesPerSec: number; runs: number[] };
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Broadcasts `count` messages to the crowd and returns deliveries/s measured to the last receipt. */
async function broadcastOnce(server: Child, load: Child, crowd: number, count: number): Promise<number> {
  await load.call('expect', { total: crowd * count });
  const sent = await server.call<{ t0: number; t1: number }>('broadcast', { size: 32, count });
  const done = await load.call<{ received: number; lastAt: number }>('wait', { timeoutMs: 60_000 });
  if (done.received < crowd * count)
    throw new Error(`broadcast lost ${crowd * count - done.received} messages`);
  return (crowd * count) / ((done.lastAt - sent.t0) / 1000);
}

async function benchServer(impl: string, opts: BenchOptions): Promise<ServerResult> {
  const result: ServerResult = { server: impl, echo: {} };
  let server: Child | null = null;
  let load: Child | null = null;
  try {
    const warmupMs = opts.quick ? 300 : 1000;
    const durationMs = opts.quick ? 1000 : 4000;
    for (const sc of ECHO.filter(() => !opts.only || opts.only.includes('echo'))) {
      // A fresh server per scenario keeps one scenario's garbage out of the next one's numbers.
      server = await startChild(`${impl}-server`, 'websocket/server-child.ts', [impl]);
      load = await startChild('ws-load', 'websocket/load-child.ts');
      const port = (server.info as { port: number }).port;
      const cpu0 = await server.call<NodeJS.CpuUsage>('cpu');
      const t0 = performance.now();
      const r = await load.call<EchoResult>('echo', { port, ...sc, warmupMs, durationMs, binary: false });
      const cpu1 = await server.call<NodeJS.CpuUsage>('cpu');
      const used = cpu1.user + cpu1.system - cpu0.user - cpu0.system;
      r.serverCpu = round(used / 10 / (performance.now() - t0), 0);
      result.echo[sc.name] = r;
      console.log(
        `  ${impl} ${sc.name}: ${r.rate} msg/s p50 ${r.p50} ms p99 ${r.p99} ms lost ${r.lost} cpu server ${r.serverCpu}% load ${r.loadCpu}%`,
      );
      await load.stop();
      await server.stop();
      load = server = null;
    }

    if (opts.only && !opts.only.includes('crowd')) return result;
    const crowd = opts.quick ? 2000 : 10_000;
    server = await startChild(`${impl}-server`, 'websocket/server-child.ts', [impl]);
    load = await startChild('ws-load', 'websocket/load-child.ts');
    const port = (server.info as { port: number }).port;
    const before = await server.call<Mem>('mem');
    const conn = await load.call<{ opened: number; ms: number }>('connect', { port, count: crowd });
    const after = await server.call<Mem>('mem');
    if (after.clients !== crowd) throw new Error(`server sees ${after.clients} of ${crowd} connections`);
    const reps = opts.quick ? 3 : 5;
    const single: number[] = [];
    for (let i = 0; i < reps; i++) single.push(await broadcastOnce(server, load, crowd, 1));
    const burst: number[] = [];
    for (let i = 0; i < reps; i++) burst.push(await broadcastOnce(server, load, crowd, 100));
    result.crowd = {
      connections: crowd,
      connectMs: conn.ms,
      heapPerConn: round((after.heapUsed - before.heapUsed) / crowd, 0),
      rssPerConn: round((after.rss - before.rss) / crowd, 0),
      externalPerConn: round((after.external - before.external) / crowd, 0),
      broadcast: { deliveriesPerSec: round(median(single), 0), runs: single.map((x) => round(x, 0)) },
      burst: { deliveriesPerSec: round(median(burst), 0), runs: burst.map((x) => round(x, 0)) },
    };
    console.log(`  ${impl} crowd: ${JSON.stringify(result.crowd)}`);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    console.log(`  ${impl}: FAILED ${result.error}`);
  } finally {
    await load?.stop();
    await server?.stop();
  }
  return result;
}

function rows(ours: ServerResult, peer: ServerResult): Row[] {
  const out: Row[] = [];
  for (const sc of ECHO) {
    const o = ours.echo[sc.name];
    const p = peer.echo[sc.name];
    const tgt = sc.target === undefined ? {} : { target: sc.target };
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
  }
  const oc = ours.crowd;
  const pc = peer.crowd;
  const n = oc?.connections ?? pc?.connections ?? 0;
  out.push({
    scenario: `broadcast 1 msg to ${n}`,
    metric: 'deliveries/s',
    unit: 'msg/s',
    ours: oc?.broadcast.deliveriesPerSec ?? null,
    peer: pc?.broadcast.deliveriesPerSec ?? null,
    higherIsBetter: true,
    target: 1,
  });
  out.push({
    scenario: `burst 100 msgs to ${n}`,
    metric: 'deliveries/s',
    unit: 'msg/s',
    ours: oc?.burst.deliveriesPerSec ?? null,
    peer: pc?.burst.deliveriesPerSec ?? null,
    higherIsBetter: true,
    target: 3,
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
  return out;
}

export async function runWebsocketBench(opts: BenchOptions): Promise<void> {
  console.log(`websocket bench (${opts.quick ? 'quick' : 'full'}): ws@8 first, then ours`);
  const want = (s: string): boolean => !opts.servers || opts.servers.includes(s);
  const peer = want('ws') ? await benchServer('ws', opts) : { server: 'ws', echo: {} };
  const ours = want('pushwire') ? await benchServer('pushwire', opts) : { server: 'pushwire', echo: {} };
  const table = rows(ours, peer);
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
