// The WebSocket load generator, in its own process: echo loads with a pipelined window per connection,
// and crowds of idle connections that count broadcast receipts. Driven by the harness over IPC.
import { performance } from 'node:perf_hooks';
import { dumpInstructions, type Instructions, zeroCounters } from '../lib/callgrind.js';
import { serveParent } from '../lib/proc.js';
import { maskedFrame, OP, openMany, type RawWs, rawConnect } from '../lib/raw-ws.js';
import { monoMs, round, Samples } from '../lib/stats.js';

const HOST = '127.0.0.1';

interface EchoArgs {
  port: number;
  conns: number;
  window: number;
  size: number;
  warmupMs: number;
  durationMs: number;
  /**
   * Count-based phases (the cost suite): warm up until this many echoes came back, then measure this many,
   * each within its ms bound. Under valgrind the JIT tiers up by call counts, so equal counts leave both
   * servers equally warm where equal durations would not (a slower server gets fewer calls).
   */
  warmupMessages?: number;
  measureMessages?: number;

  binary: boolean;
  /** Per handshake (default rawConnect's); the cost bench raises it for a server under valgrind. */
  handshakeTimeoutMs?: number;
  /** The server runs under callgrind: count its instructions over the measured window. */
  callgrind?: { pid: number; dir: string };
}

interface EchoResult {
  messages: number;
  seconds: number;
  rate: number;
  mbPerSec: number;
  p50: number;
  p99: number;
  lost: number;
  /** Echoes received over the whole run (warm-up and drain included), for per-CPU-second efficiency. */
  echoedTotal: number;
  /** The generator's own CPU use during the measured window, % of one core (100 = saturated). */
  loadCpu: number;
  /** With `callgrind`: the server's instructions over the measured window. */
  instructions?: Instructions;
}

/** Waits `ms`, or with `count` until `value()` reaches it (at most `ms`). */
async function untilCount(value: () => number, count: number | undefined, ms: number): Promise<void> {
  if (count === undefined) {
    await new Promise((r) => setTimeout(r, ms));
    return;
  }
  const deadline = performance.now() + ms;
  while (value() < count && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Echo load: every connection keeps `window` messages in flight; each echo received triggers the next
 * send. The writes triggered by one TCP chunk are coalesced into one socket write (same pre-masked frame
 * repeated), so the generator spends its time on the wire, not on framing.
 */
async function echo(args: EchoArgs): Promise<EchoResult> {
  const payload = Buffer.alloc(args.size, 0x78);
  const frame = maskedFrame(args.binary ? OP.binary : OP.text, payload);
  const repeated = Buffer.concat(Array.from({ length: args.window }, () => frame));
  const samples = new Samples();
  let measuring = false;
  let stopping = false;
  let received = 0;
  let echoedTotal = 0;
  let inflightTotal = 0;
  let drained: (() => void) | null = null;

  const starters: Array<() => void> = [];
  const conns = await openMany(args.conns, (_i, localAddress) => {
    const ring = new Float64Array(args.window);
    let head = 0;
    let tail = 0;
    let toSend = 0;
    let scheduled = false;
    let conn: RawWs | null = null;
    const flush = (): void => {
      scheduled = false;
      if (toSend === 0 || !conn) return;
      const now = performance.now();
      for (let k = 0; k < toSend; k++) {
        ring[tail] = now;
        tail = (tail + 1) % args.window;
      }
      inflightTotal += toSend;
      conn.write(toSend === args.window ? repeated : repeated.subarray(0, toSend * frame.length));
      toSend = 0;
    };
    return rawConnect({
      host: HOST,
      port: args.port,
      path: '/',
      localAddress,
      wantPayload: false,
      timeoutMs: args.handshakeTimeoutMs,
      handlers: {
        onMessage: () => {
          const sentAt = ring[head] as number;
          head = (head + 1) % args.window;
          inflightTotal--;
          echoedTotal++;
          if (measuring) {
            samples.add(performance.now() - sentAt);
            received++;
          }
          if (!stopping) {
            toSend++;
            if (!scheduled) {
              scheduled = true;
              queueMicrotask(flush);
            }
          } else if (inflightTotal === 0) drained?.();
        },
      },
    }).then((c) => {
      starters.push(() => {
        conn = c;
        toSend = args.window;
        flush();
      });
      return c;
    });
  });
  for (const start of starters) start();
  await untilCount(() => echoedTotal, args.warmupMessages, args.warmupMs);
  // The generator blocks while callgrind_control runs, so no echo is in progress across either call.
  if (args.callgrind) zeroCounters(args.callgrind.pid);
  samples.reset();
  received = 0;
  measuring = true;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await untilCount(() => received, args.measureMessages, args.durationMs);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const count = received;
  const instructions = args.callgrind ? dumpInstructions(args.callgrind.pid, args.callgrind.dir) : undefined;
  stopping = true;
  // Let the in-flight window come back, so a server that drops messages shows up as `lost`.
  await new Promise<void>((resolve) => {
    if (inflightTotal === 0) resolve();
    drained = resolve;
    setTimeout(resolve, 5000);
  });
  const lost = inflightTotal;
  for (const c of conns) c.destroy();
  const [p50, p99] = samples.percentiles([50, 99]);
  return {
    messages: count,
    seconds: round(seconds, 3),
    rate: round(count / seconds, 0),
    mbPerSec: round((count * args.size) / seconds / 1e6, 1),
    p50: round(p50 ?? Number.NaN, 3),
    p99: round(p99 ?? Number.NaN, 3),
    lost,
    echoedTotal,
    loadCpu: round((cpu.user + cpu.system) / 1e4 / seconds, 0),
    ...(instructions === undefined ? {} : { instructions }),
  };
}

// Idle crowd for broadcast and memory measurements.
let crowd: RawWs[] = [];
let expected = 0;
let got = 0;
let lastAt = 0;
let onAll: (() => void) | null = null;

/** `timeoutMs`: per handshake (default rawConnect's); the cost bench raises it for a server under valgrind. */
async function connectCrowd(args: {
  port: number;
  count: number;
  timeoutMs?: number;
}): Promise<{ opened: number; ms: number }> {
  const t0 = performance.now();
  const more = await openMany(args.count, (_i, localAddress) =>
    rawConnect({
      host: HOST,
      port: args.port,
      path: '/',
      localAddress,
      wantPayload: false,
      timeoutMs: args.timeoutMs,
      handlers: {
        onMessage: () => {
          got++;
          if (got === expected) {
            lastAt = monoMs();
            onAll?.();
          }
        },
      },
    }),
  );
  crowd = crowd.concat(more);
  return { opened: crowd.length, ms: round(performance.now() - t0, 0) };
}

serveParent({
  echo: (args: EchoArgs) => echo(args),
  connect: (args: { port: number; count: number; timeoutMs?: number }) => connectCrowd(args),
  /** Arms the receipt counter: the next `total` messages across the crowd. */
  expect: (args: { total: number }) => {
    expected = args.total;
    got = 0;
    lastAt = 0;
    return {};
  },
  /** Resolves when every expected message arrived (or at the timeout) with the monotonic time of the last. */
  wait: (args: { timeoutMs: number }) =>
    new Promise((resolve) => {
      const done = (): void => resolve({ received: got, lastAt: lastAt || monoMs() });
      if (got >= expected) return done();
      onAll = done;
      setTimeout(done, args.timeoutMs);
    }),
  disconnect: () => {
    for (const c of crowd) c.destroy();
    crowd = [];
    return {};
  },
});
