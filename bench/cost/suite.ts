// `npm run bench -- cost`: server instructions per delivered message, counted by callgrind (valgrind), so
// the figures do not depend on the machine's load (wall-clock ratios on a busy machine are not results).
// Every server runs under callgrind in its own process; the generators run natively. Counting covers only
// the measured work (callgrind_control --zero / --dump around it). Valgrind slows the server ~30-50x, so
// rates are low: these compare the work each server does per message, not how fast it can go.
import type { StepResult } from '../bayeux/load-child.js';
import { callgrindDir, dumpInstructions, type Instructions, zeroCounters } from '../lib/callgrind.js';
import { type RunLoad, withLoad, worstLoad } from '../lib/honesty.js';
import type { BenchOptions } from '../lib/options.js';
import { type Child, startChild } from '../lib/proc.js';
import { round } from '../lib/stats.js';
import { type Row, renderTable, writeResults } from '../lib/table.js';

const READY_MS = 600_000;

interface Cost {
  impl: string;
  scenario: string;
  /** All threads (V8's concurrent JIT and GC included). */
  instructions: number;
  /** The main thread alone (the event loop). */
  mainInstructions: number;
  delivered: number;
  /** Main-thread instructions per delivered message (the figure compared). */
  perMessage: number;
  /** All-thread instructions per delivered message. */
  perMessageAll: number;
  /** Chat only: deliveries per response that carried any. */
  perResponse?: number;
  load?: RunLoad;
}

function costOf(impl: string, scenario: string, counted: Instructions, delivered: number): Cost {
  const n = Math.max(1, delivered);
  return {
    impl,
    scenario,
    instructions: counted.total,
    mainInstructions: counted.main,
    delivered,
    perMessage: round(counted.main / n, 0),
    perMessageAll: round(counted.total / n, 0),
  };
}

async function underCallgrind<T>(
  name: string,
  file: string,
  args: string[],
  fn: (server: Child) => Promise<T>,
): Promise<T> {
  const server = await startChild(name, file, args, READY_MS, { callgrind: true });
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

async function chatCost(
  impl: string,
  transport: 'websocket' | 'long-polling',
  clients: number,
  rate: number,
  dir: string,
): Promise<Cost> {
  return underCallgrind(`cost-${impl}-${transport}`, 'bayeux/server-child.ts', [impl], async (server) => {
    const load = await startChild('cost-load', 'bayeux/load-child.ts');
    try {
      const info = server.info as { port: number; path: string };
      await load.call(
        'setup',
        {
          host: '127.0.0.1',
          port: info.port,
          path: info.path,
          transport,
          protocol: impl === 'socketio' ? 'socketio' : 'bayeux',
          clients,
          roomSize: 10,
          concurrency: 10,
        },
        READY_MS,
      );
      // Warm-up (JIT under valgrind is slow too), then the counted step.
      await load.call('step', { deliveredRate: rate, durationMs: 3000, drainMs: 20_000 }, READY_MS);
      zeroCounters(server.pid);
      const s = await load.call<StepResult>(
        'step',
        { deliveredRate: rate, durationMs: 5000, drainMs: 30_000 },
        READY_MS,
      );
      const counted = dumpInstructions(server.pid, dir);
      await load.call('teardown').catch(() => {});
      const scenario = `chat ${transport} ${clients} clients, rooms of 10, ${rate}/s`;
      const c = costOf(impl, scenario, counted, s.received);
      console.log(
        `  ${impl} ${scenario}: ${s.received}/${s.expected} delivered, ${c.perMessage} main-thread instructions per delivery (${c.perMessageAll} all threads), ${s.perResponse} deliveries per response, p50 ${s.p50} ms`,
      );
      return { ...c, perResponse: s.perResponse };
    } finally {
      await load.stop();
    }
  });
}

async function echoCost(impl: string, conns: number, window: number, dir: string): Promise<Cost> {
  return underCallgrind(`cost-${impl}-echo`, 'websocket/server-child.ts', [impl], async (server) => {
    const load = await startChild('cost-ws-load', 'websocket/load-child.ts');
    try {
      const r = await load.call<{ messages: number; instructions?: Instructions }>(
        'echo',
        {
          port: (server.info as { port: number }).port,
          conns,
          window,
          size: 32,
          // Equal counts, not durations: both servers equally warm (see load-child.ts). At least 5 per
          // connection, so each connection's first echo (its parser and output side are created then) falls
          // in the warm-up and every connection is measured several times.
          warmupMessages: Math.max(3000, conns * 5),
          measureMessages: Math.max(3000, conns * 20),
          warmupMs: 180_000,
          durationMs: 180_000,
          binary: false,
          // Handshakes with a server under valgrind can take longer than rawConnect's 30 s at 1,000 conns.
          handshakeTimeoutMs: READY_MS,
          callgrind: { pid: server.pid, dir },
        },
        READY_MS,
      );
      const scenario = `echo 32 B x${conns} conn(s), window ${window}`;
      const c = costOf(impl, scenario, r.instructions ?? { total: Number.NaN, main: Number.NaN }, r.messages);
      console.log(
        `  ${impl} ${scenario}: ${r.messages} echoes, ${c.perMessage} main-thread instructions per echo (${c.perMessageAll} all threads)`,
      );
      return c;
    } finally {
      await load.stop();
    }
  });
}

async function broadcastCost(impl: string, crowd: number, dir: string): Promise<Cost> {
  return underCallgrind(`cost-${impl}-crowd`, 'websocket/server-child.ts', [impl], async (server) => {
    const load = await startChild('cost-ws-load', 'websocket/load-child.ts');
    try {
      const port = (server.info as { port: number }).port;
      // Handshakes with a server under valgrind on a loaded machine can take longer than rawConnect's 30 s.
      await load.call('connect', { port, count: crowd, timeoutMs: READY_MS }, READY_MS);
      const once = async (): Promise<void> => {
        await load.call('expect', { total: crowd });
        await server.call('broadcast', { size: 32, count: 1 }, READY_MS);
        await load.call('wait', { timeoutMs: READY_MS }, READY_MS);
      };
      await once(); // warm-up
      zeroCounters(server.pid);
      const reps = 5;
      for (let i = 0; i < reps; i++) await once();
      const counted = dumpInstructions(server.pid, dir);
      const scenario = `broadcast 32 B to ${crowd} conns`;
      const c = costOf(impl, scenario, counted, reps * crowd);
      console.log(
        `  ${impl} ${scenario}: ${c.perMessage} main-thread instructions per delivery (${c.perMessageAll} all threads)`,
      );
      return c;
    } finally {
      await load.call('disconnect').catch(() => {});
      await load.stop();
    }
  });
}

export async function runCostBench(opts: BenchOptions): Promise<void> {
  const dir = callgrindDir();
  if (dir === undefined) {
    console.error('the cost bench needs BENCH_CALLGRIND=<dir> (valgrind callgrind output goes there)');
    process.exit(2);
  }
  const want = (name: string): boolean => !opts.only || opts.only.includes(name);
  const pick = (list: string[]): string[] => list.filter((s) => !opts.servers || opts.servers.includes(s));
  const costs: Cost[] = [];
  const run = async (label: string, fn: () => Promise<Cost>): Promise<void> => {
    try {
      const { value, load } = await withLoad(label, fn);
      costs.push({ ...value, load });
    } catch (err) {
      console.log(`  ${label}: FAILED ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  if (want('long-polling')) {
    for (const impl of pick(['faye', 'pushwire', 'socketio'])) {
      await run(`${impl} long-polling cost`, () =>
        // --clients / --steps (first) override the shape: a rate low enough that no server is saturated
        // under valgrind compares the work per round trip, not how much a saturated server batches.
        chatCost(impl, 'long-polling', opts.clients ?? (opts.quick ? 20 : 50), opts.steps?.[0] ?? 200, dir),
      );
    }
  }
  if (want('websocket')) {
    for (const impl of pick(['faye', 'pushwire', 'socketio'])) {
      await run(`${impl} websocket cost`, () => chatCost(impl, 'websocket', 100, 500, dir));
    }
  }
  if (want('echo')) {
    // x1000 window 1 is the wall-clock bench's many-connection row (one message per read, server CPU-bound);
    // --clients=N keeps only the shapes with N connections.
    const shapes: Array<[number, number]> = [
      [1, 1],
      [1, 16],
      [100, 1],
      [1000, 1],
    ].filter(([conns]) => opts.clients === undefined || conns === opts.clients) as Array<[number, number]>;
    for (const [conns, window] of shapes) {
      for (const impl of pick(['ws', 'pushwire'])) {
        await run(`${impl} echo x${conns} cost`, () => echoCost(impl, conns, window, dir));
      }
    }
  }
  if (want('broadcast')) {
    for (const impl of pick(['ws', 'pushwire', 'bare'])) {
      await run(`${impl} broadcast cost`, () => broadcastCost(impl, opts.quick ? 200 : 1000, dir));
    }
  }
  // One row per scenario and peer: instructions per message, lower is better (the ratio is > 1 when ours
  // executes fewer). Instruction counts do not depend on the load; the load is shown anyway.
  const table: Row[] = [];
  for (const scenario of [...new Set(costs.map((c) => c.scenario))]) {
    const at = costs.filter((c) => c.scenario === scenario);
    const ours = at.find((c) => c.impl === 'pushwire');
    for (const peer of at.filter((c) => c.impl !== 'pushwire')) {
      table.push({
        scenario,
        metric: `server main-thread instructions per message vs ${peer.impl}`,
        unit: 'instr',
        ours: ours?.perMessage ?? null,
        peer: peer.perMessage,
        higherIsBetter: false,
        load: worstLoad([ours?.load, peer.load].filter((x): x is RunLoad => !!x)),
        loadIndependent: true,
        note:
          ours?.perResponse !== undefined
            ? `all threads: ours ${ours.perMessageAll}, ${peer.impl} ${peer.perMessageAll}; deliveries per response: ours ${ours.perResponse}, ${peer.impl} ${peer.perResponse}`
            : `all threads: ours ${ours?.perMessageAll ?? 'n/a'}, ${peer.impl} ${peer.perMessageAll}`,
      });
    }
  }
  console.log(`\n${renderTable(table, 'peer')}\n`);
  console.log('(instruction counts do not depend on the load: the load column is for the record)');
  const file = writeResults('cost', { date: new Date().toISOString(), costs, table });
  console.log(`results: ${file}`);
}
