// The crowd bench's pure parts: how a crowd of idle clients is split into server and generator processes
// and source addresses, what each process needs in file descriptors, and the arithmetic of the figures.
// Tested in test/bench/crowd-plan.test.ts; the I/O lives in suite.ts and the children.

/** The crowd's limits, each in one place (README `crowd` section). */
export const CROWD_LIMITS = {
  /** Default crowd (`npm run bench -- crowd`); `--quick` takes QUICK_CLIENTS, `--clients=N` any other. */
  DEFAULT_CLIENTS: 100_000,
  QUICK_CLIENTS: 10_000,
  /** Refused above this: 24 GiB of RAM, and 127.0.0.2-254 as sources at PER_ADDRESS each. */
  MAX_CLIENTS: 250_000,
  /**
   * Connections one process holds (server) or opens (generator). A process here may hold 20,000 open
   * files (hard limit); 18,000 leaves room for Node's own fds, the Redis connections and the IPC pipe.
   */
  PER_PROCESS: 18_000,
  /**
   * Connections from one source address. Linux picks a bound socket's port from ip_local_port_range
   * (32768-60999 here: 28,232 ports) per local address, whatever the destination; other engineers' benches
   * use 127.0.0.2-9 as well, so each address keeps well under a fifth of its ports.
   */
  PER_ADDRESS: 4_000,
  /** At least this many source addresses, so one address never carries a small crowd alone. */
  MIN_ADDRESSES: 8,
  /** Sources are 127.0.0.FIRST_HOST upward (127.0.0.1 is the servers' address). */
  FIRST_HOST: 2,
  LAST_HOST: 254,
  /** Handshakes in flight over all generators at once (the ramp's bound). */
  INFLIGHT: 256,
  /** File descriptors a process needs besides its connections (Node, libuv, Redis, IPC, stdio). */
  FD_MARGIN: 500,
  /** Failed clients after which a generator stops its ramp and reports the first error. */
  MAX_FAILURES: 200,
  /** Ms one client may take from TCP connect to subscribed (a handshake that never answers fails). */
  CLIENT_TIMEOUT_MS: 60_000,
  /** Total resident memory of every child (servers, generators, redis-server) before the run is aborted. */
  MEMORY_BUDGET_BYTES: 12 * 1024 ** 3,
  /** Estimated bytes per client over all processes, checked against MemAvailable before starting. */
  EST_BYTES_PER_CLIENT: 60_000,
} as const;

/**
 * Ms the ramp may take before the generators stop opening: a floor, plus 15 ms a client (about 70 a
 * second: what the Bayeux ramp kept up at load average 13 on this 2-core machine, with room to spare).
 */
export function rampDeadlineMs(clients: number, env: NodeJS.ProcessEnv = {}): number {
  const s = Number(env.BENCH_CROWD_RAMP_S);
  // BENCH_CROWD_RAMP_S: a shorter (or longer) ramp when the machine's time is short.
  return Number.isFinite(s) && s > 0 ? s * 1000 : 60_000 + clients * 15;
}

/** Ms the harness waits for every client to receive the one published message: a floor, plus 3 ms a client. */
export function deliveryTimeoutMs(clients: number): number {
  return 60_000 + clients * 3;
}

/** `total` split into `parts` counts that differ by at most one (the first ones take the remainder). */
export function evenSplit(total: number, parts: number): number[] {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be a whole number: ${total}`);
  if (!Number.isInteger(parts) || parts < 1) throw new RangeError(`parts must be at least 1: ${parts}`);
  const base = Math.floor(total / parts);
  const extra = total % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

export interface GeneratorPlan {
  /** Global index of this generator's first client: client k goes to server k % servers. */
  first: number;
  count: number;
  /** How many of this generator's clients each server gets. */
  perServer: number[];
  /** Handshakes this generator keeps in flight. */
  inflight: number;
}

export interface CrowdPlan {
  clients: number;
  /** Clients per server process. */
  servers: number[];
  generators: GeneratorPlan[];
  /** Source addresses in use: client k binds sourceAddress(k, addresses). */
  addresses: number;
}

export interface PlanLimits {
  perProcess: number;
  perAddress: number;
  inflight: number;
}

const DEFAULT_PLAN_LIMITS: PlanLimits = {
  perProcess: CROWD_LIMITS.PER_PROCESS,
  perAddress: CROWD_LIMITS.PER_ADDRESS,
  inflight: CROWD_LIMITS.INFLIGHT,
};

/**
 * Splits a crowd: as few server and generator processes as PER_PROCESS allows, clients dealt round-robin
 * over the servers (so every generator loads every server alike), generators take contiguous ranges, the
 * in-flight bound shared out among them, and enough source addresses for PER_ADDRESS.
 */
export function planCrowd(clients: number, limits: PlanLimits = DEFAULT_PLAN_LIMITS): CrowdPlan {
  if (!Number.isInteger(clients) || clients < 1)
    throw new RangeError(`clients must be at least 1: ${clients}`);
  if (clients > CROWD_LIMITS.MAX_CLIENTS) {
    throw new RangeError(`${clients} clients is above MAX_CLIENTS (${CROWD_LIMITS.MAX_CLIENTS})`);
  }
  const serverCount = Math.ceil(clients / limits.perProcess);
  const genCounts = evenSplit(clients, Math.ceil(clients / limits.perProcess));
  const inflight = evenSplit(Math.max(limits.inflight, genCounts.length), genCounts.length);
  const addresses = Math.max(
    Math.ceil(clients / limits.perAddress),
    Math.min(CROWD_LIMITS.MIN_ADDRESSES, clients),
  );
  const hosts = CROWD_LIMITS.LAST_HOST - CROWD_LIMITS.FIRST_HOST + 1;
  if (addresses > hosts) {
    throw new RangeError(`${clients} clients need ${addresses} source addresses; 127.0.0.x offers ${hosts}`);
  }
  let first = 0;
  const generators = genCounts.map((count, g): GeneratorPlan => {
    const perServer = new Array<number>(serverCount).fill(0);
    for (let s = 0; s < serverCount; s++) perServer[s] = countCongruent(first, count, s, serverCount);
    const plan = { first, count, perServer, inflight: inflight[g] as number };
    first += count;
    return plan;
  });
  return { clients, servers: evenSplit(clients, serverCount), generators, addresses };
}

/** How many k in [first, first + count) have k % m === r. */
function countCongruent(first: number, count: number, r: number, m: number): number {
  const upTo = (n: number): number => (n <= r ? 0 : Math.floor((n - r - 1) / m) + 1); // k < n
  return upTo(first + count) - upTo(first);
}

/** The server (index) client k talks to. */
export function serverOf(k: number, servers: number): number {
  return k % servers;
}

/** The source address client k binds: 127.0.0.2 upward, dealt round-robin. */
export function sourceAddress(k: number, addresses: number): string {
  return `127.0.0.${CROWD_LIMITS.FIRST_HOST + (k % addresses)}`;
}

/**
 * Null when a process whose soft open-files limit is `limit` can hold `connections`, else the message the
 * bench fails with (before it opens anything, rather than hanging on EMFILE halfway).
 */
export function fdProblem(name: string, connections: number, limit: number): string | null {
  const need = connections + CROWD_LIMITS.FD_MARGIN;
  if (limit >= need) return null; // NaN (unknown) fails too
  return (
    `${name}: needs ${need} open files (${connections} connections + ${CROWD_LIMITS.FD_MARGIN}) but its limit ` +
    `is ${limit}: lower PER_PROCESS or raise the hard limit (ulimit -Hn)`
  );
}

/** The soft "Max open files" from /proc/<pid>/limits text (NaN when absent; Infinity for unlimited). */
export function parseOpenFilesLimit(limits: string): number {
  const m = /^Max open files\s+(\S+)/m.exec(limits);
  if (!m) return Number.NaN;
  return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/** One field of Redis INFO text (`used_memory:123`), NaN when absent. */
export function infoField(info: string, field: string): number {
  const m = new RegExp(`^${field}:(\\S+)`, 'm').exec(info);
  return m ? Number(m[1]) : Number.NaN;
}

/** VmRSS of /proc/<pid>/status text, in bytes (NaN when absent: the process is gone). */
export function parseVmRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** `MemAvailable` of /proc/meminfo text, in bytes. */
export function parseMemAvailable(meminfo: string): number {
  const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** Bytes per client: (after - before) / clients; NaN for no clients. */
export function perClient(before: number, after: number, clients: number): number {
  return clients > 0 ? (after - before) / clients : Number.NaN;
}

export interface NodeMemory {
  clients: number;
  heapBefore: number;
  heapAfter: number;
  rssBefore: number;
  rssAfter: number;
}

export interface NodeFigures {
  clients: number;
  heapPerClient: number;
  rssPerClient: number;
}

/** Per node figures, and over all nodes: total delta divided by total clients (weights nodes by clients). */
export function memoryFigures(nodes: readonly NodeMemory[]): { nodes: NodeFigures[]; all: NodeFigures } {
  const figures = nodes.map((n) => ({
    clients: n.clients,
    heapPerClient: perClient(n.heapBefore, n.heapAfter, n.clients),
    rssPerClient: perClient(n.rssBefore, n.rssAfter, n.clients),
  }));
  const sum = (f: (n: NodeMemory) => number): number => nodes.reduce((a, n) => a + f(n), 0);
  const clients = sum((n) => n.clients);
  return {
    nodes: figures,
    all: {
      clients,
      heapPerClient: perClient(
        0,
        sum((n) => n.heapAfter - n.heapBefore),
        clients,
      ),
      rssPerClient: perClient(
        0,
        sum((n) => n.rssAfter - n.rssBefore),
        clients,
      ),
    },
  };
}

/** What one generator saw of the published message. */
export interface Receipts {
  /** Clients of this generator that are connected (subscribed). */
  connected: number;
  /** Of those, how many received the message (each counted once). */
  received: number;
  /** Deliveries in all (a client receiving it twice counts twice here). */
  deliveries: number;
  /** Monotonic ms (process.hrtime, machine-wide) of this generator's last receipt; NaN if none. */
  lastAt: number;
}

export interface DeliverySummary {
  connected: number;
  received: number;
  duplicates: number;
  /** Every connected client received the message exactly once. */
  all: boolean;
  /** From the publish (monotonic ms, same clock) to the last receipt anywhere. */
  ms: number;
}

/** Sums the generators' receipts; the time to everyone is the latest receipt minus the publish time. */
export function deliverySummary(receipts: readonly Receipts[], publishedAt: number): DeliverySummary {
  const connected = receipts.reduce((a, r) => a + r.connected, 0);
  const received = receipts.reduce((a, r) => a + r.received, 0);
  const deliveries = receipts.reduce((a, r) => a + r.deliveries, 0);
  const last = receipts.map((r) => r.lastAt).filter((x) => Number.isFinite(x));
  return {
    connected,
    received,
    duplicates: deliveries - received,
    all: connected > 0 && received === connected && deliveries === received,
    ms: last.length > 0 ? Math.max(...last) - publishedAt : Number.NaN,
  };
}

/**
 * Null when the machine has room for the crowd (EST_BYTES_PER_CLIENT each, within MEMORY_BUDGET_BYTES and
 * half of what is available now: other engineers share the machine), else the message to fail with.
 */
export function memoryProblem(clients: number, available: number): string | null {
  const need = clients * CROWD_LIMITS.EST_BYTES_PER_CLIENT;
  const gib = (n: number): string => `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (need > CROWD_LIMITS.MEMORY_BUDGET_BYTES) {
    return `${clients} clients need about ${gib(need)}: above the bench's budget of ${gib(CROWD_LIMITS.MEMORY_BUDGET_BYTES)}`;
  }
  if (!Number.isFinite(available) || need > available / 2) {
    return `${clients} clients need about ${gib(need)} but only ${gib(available)} is available (at most half is used)`;
  }
  return null;
}
