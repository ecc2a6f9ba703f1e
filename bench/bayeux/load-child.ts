// The Bayeux load generator (CometD benchmark's chat workload): clients join rooms, 50-byte messages are
// published at a fixed rate per step, and every delivery's publish-to-receive latency is recorded.
import { performance } from 'node:perf_hooks';
import { nodeFor } from '../cluster/spread.js';
import { serveParent } from '../lib/proc.js';
import { round, Samples } from '../lib/stats.js';
import {
  type BayeuxSink,
  type ChatClient,
  counters,
  lpChatClient,
  type Target,
  wsChatClient,
} from './raw-bayeux.js';
import { pollingSocketIoClient, wsSocketIoClient } from './raw-socketio.js';

interface SetupArgs extends Target {
  transport: 'websocket' | 'long-polling';
  /** Bayeux (Faye, ours) or Socket.IO's engine.io protocol (websocket, or polling for long-polling). */
  protocol: 'bayeux' | 'socketio';
  clients: number;
  roomSize: number;
  concurrency: number;
  /**
   * Cluster bench: the nodes' ports (all on `host`). Client i connects to ports[nodeFor(i)], round-robin
   * with no stickiness, so rooms (consecutive clients) span the nodes. Absent: every client uses `port`.
   */
  ports?: number[];
}

interface StepArgs {
  /** Target deliveries per second (publishes/s x room size). */
  deliveredRate: number;
  durationMs: number;
  drainMs: number;
}

export interface StepResult {
  target: number;
  published: number;
  expected: number;
  received: number;
  fraction: number;
  /** Deliveries/s over the publishing period. */
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  loadCpu: number;
  /** Deliveries per response that carried any (batching; load-independent). */
  perResponse: number;
  /** Filled in by the harness: the server's CPU over the step, % of one core. */
  serverCpu?: number;
  /** Filled in by the harness: deliveries per second of server CPU over the step. */
  perCpuSecond?: number;
}

// 50 bytes of data JSON: {"__t":<ms with 3 decimals>,"p":"<pad>"}
const PAD = 'x'.repeat(24);

let clients: ChatClient[] = [];
let rooms: string[] = [];
let roomSize = 10;
const samples = new Samples();
let stepStart = Number.POSITIVE_INFINITY;
let received = 0;
let errors = 0;
let lastError = '';
let expected = 0;
let onAll: (() => void) | null = null;

const sink: BayeuxSink = {
  delivery(sentAt) {
    if (sentAt < stepStart) return; // a straggler from an earlier step
    received++;
    samples.add(performance.now() - sentAt);
    if (received === expected) onAll?.();
  },
  error(text) {
    errors++;
    lastError = text;
  },
};

/**
 * Makes clients `from` .. `from + count - 1` (handshaken, subscribed to room floor(i / roomSize), holding a
 * connect), `concurrency` at a time. The numbering decides the room and the source address.
 */
async function makeClients(args: SetupArgs, from: number, count: number): Promise<ChatClient[]> {
  const made: ChatClient[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const k = next++;
      const i = from + k;
      const local = `127.0.0.${2 + (i % 8)}`;
      const target = args.ports
        ? { ...args, port: args.ports[nodeFor(i, args.ports.length)] as number }
        : args;
      const c =
        args.protocol === 'socketio'
          ? args.transport === 'websocket'
            ? await wsSocketIoClient(target, sink, local)
            : await pollingSocketIoClient(target, sink)
          : args.transport === 'websocket'
            ? await wsChatClient(target, sink, local)
            : await lpChatClient(target, sink);
      await c.subscribe(`/chat/room${Math.floor(i / args.roomSize)}`);
      made[k] = c;
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.concurrency, count) }, worker));
  return made;
}

async function setup(args: SetupArgs): Promise<{ clients: number; ms: number }> {
  const t0 = performance.now();
  roomSize = args.roomSize;
  clients = await makeClients(args, 0, args.clients);
  rooms = clients.map((_c, i) => `/chat/room${Math.floor(i / args.roomSize)}`);
  return { clients: clients.length, ms: round(performance.now() - t0, 0) };
}

/**
 * Clients made by `grow` for the marginal heap figure (bench/README.md): as many again as setup made, the
 * same shape (their own rooms, numbered on from setup's), so the server holds 2N. The chat steps never
 * publish to their rooms, and `shed` disconnects them before the steps start.
 */
let extra: ChatClient[] = [];

async function grow(args: SetupArgs): Promise<{ clients: number; ms: number }> {
  const t0 = performance.now();
  extra = await makeClients(args, clients.length, args.clients);
  return { clients: extra.length, ms: round(performance.now() - t0, 0) };
}

async function shed(): Promise<{ clients: number }> {
  const gone = extra;
  extra = [];
  // Bayeux /meta/disconnect (where the client speaks Bayeux), so the server forgets them now rather than
  // at expiry; Socket.IO's are closed.
  await Promise.all(gone.map((c) => c.disconnect?.().catch(() => {})));
  for (const c of gone) c.close();
  return { clients: gone.length };
}

/** Publishes at `deliveredRate / roomSize` messages/s, round-robin over the clients, then drains. */
async function step(args: StepArgs): Promise<StepResult> {
  const publishRate = args.deliveredRate / roomSize;
  samples.reset();
  received = 0;
  errors = 0;
  expected = Number.POSITIVE_INFINITY;
  const cpu0 = process.cpuUsage();
  counters.responses = 0;
  stepStart = performance.now();
  let published = 0;
  let who = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = performance.now() - stepStart;
      const due = Math.min(Math.floor((publishRate * Math.min(elapsed, args.durationMs)) / 1000), 1e9);
      while (published < due) {
        const c = clients[who] as ChatClient;
        c.publish(rooms[who] as string, `${performance.now().toFixed(3)},"p":"${PAD}"`);
        who = (who + 1) % clients.length;
        published++;
      }
      if (elapsed >= args.durationMs) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const publishMs = performance.now() - stepStart;
  expected = published * roomSize;
  if (received < expected) {
    await new Promise<void>((resolve) => {
      onAll = resolve;
      setTimeout(resolve, args.drainMs);
    });
  }
  onAll = null;
  const cpu = process.cpuUsage(cpu0);
  const total = performance.now() - stepStart;
  const [p50, p99] = samples.percentiles([50, 99]);
  return {
    target: args.deliveredRate,
    published,
    expected,
    received,
    fraction: round(received / expected, 4),
    rate: round(Math.min(received, expected) / (publishMs / 1000), 0),
    p50: round(p50 ?? Number.NaN, 2),
    p99: round(p99 ?? Number.NaN, 2),
    errors,
    loadCpu: round((cpu.user + cpu.system) / 10 / total, 0),
    perResponse: round(received / Math.max(1, counters.responses), 2),
  };
}

// A lone publisher for the client-cost bench.
let publisher: ChatClient | null = null;

/** Publishes `count` messages to `channel` at `rate`/s from the lone publisher. */
async function series(args: {
  channel: string;
  count: number;
  rate: number;
}): Promise<{ published: number }> {
  const c = publisher;
  if (!c) throw new Error('no publisher');
  const start = performance.now();
  let published = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(args.count, Math.floor(((performance.now() - start) * args.rate) / 1000));
      while (published < due) {
        c.publish(args.channel, `${performance.now().toFixed(3)},"p":"${PAD}"`);
        published++;
      }
      if (published >= args.count) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  return { published };
}

serveParent({
  publisher: async (args: Target) => {
    publisher = await wsChatClient(args, sink);
    return {};
  },
  series: (args: { channel: string; count: number; rate: number }) => series(args),
  setup: (args: SetupArgs) => setup(args),
  grow: (args: SetupArgs) => grow(args),
  shed: () => shed(),
  step: (args: StepArgs) => step(args),
  lastError: () => ({ lastError }),
  teardown: () => {
    for (const c of clients) c.close();
    clients = [];
    return {};
  },
});
