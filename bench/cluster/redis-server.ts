// A dedicated redis-server for one cluster run, started by the bench on a free 127.0.0.1 port (never the
// shared 6379, so its CPU is the cluster's alone and it can be read from /proc/<pid>/stat), without
// persistence, bounded in memory, killed when the run ends or the harness exits.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseProcessStat, USER_HZ } from '../lib/cpu-share.js';
import { freePort } from '../lib/free-port.js';

export const REDIS_SERVER = process.env.BENCH_REDIS_SERVER ?? '/usr/bin/redis-server';
/** Memory the bench's Redis may use: a run stores at most a few MB (1,000 clients, bounded queues). */
export const REDIS_MAXMEMORY = '256mb';
/** How long redis-server may take to answer PING after spawning (the machine is loaded). */
export const REDIS_READY_MS = 15_000;

export interface RedisChild {
  port: number;
  pid: number;
  /** CPU seconds redis-server (all its threads) has used so far, from /proc/<pid>/stat. */
  cpuSeconds(): number;
  /** Commands executed so far, per command (INFO commandstats; commands run inside scripts included). */
  commandCalls(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const cp of live) cp.kill('SIGKILL');
});
// Node children die with the harness through their IPC channel; redis-server has none, and a signal (e.g.
// `timeout` sending SIGTERM) ends Node without 'exit' handlers. So while one runs, a signal kills it and
// exits, which also runs proc.ts's 'exit' handler for the Node children.
function onSignal(signal: NodeJS.Signals): void {
  for (const cp of live) cp.kill('SIGKILL');
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
function guard(): void {
  if (live.size !== 1) return;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, onSignal);
}
function unguard(): void {
  if (live.size !== 0) return;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(sig, onSignal);
}

/** True when a PING on `port` gets +PONG within 1 s. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d: Buffer) => done(d.toString().startsWith('+PONG')));
  });
}

/** Calls per command from `INFO commandstats` text (`cmdstat_<name>:calls=<n>,...` lines). */
export function parseCommandStats(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1] as string] = Number(m[2]);
  return out;
}

/** Per-command calls between two readings, without the bench's own INFO calls; the total under `*`. */
export function commandDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [name, calls] of Object.entries(after)) {
    if (name === 'info') continue;
    const d = calls - (before[name] ?? 0);
    if (d > 0) {
      out[name] = d;
      total += d;
    }
  }
  out['*'] = total;
  return out;
}

/** Sends one inline command and reads its bulk-string reply in full (bounded: 1 MiB, 5 s). */
function bulkCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const fail = (err: Error): void => {
      sock.destroy();
      reject(err);
    };
    sock.setTimeout(5000, () => fail(new Error(`redis ${command}: no reply in 5 s`)));
    sock.on('error', fail);
    sock.on('connect', () => sock.write(`${command}\r\n`));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > 1 << 20) return fail(new Error(`redis ${command}: reply over 1 MiB`));
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return;
      if (buf[0] !== 0x24) return fail(new Error(`redis ${command}: ${buf.subarray(0, eol).toString()}`));
      const len = Number(buf.subarray(1, eol).toString());
      if (buf.length < eol + 2 + len) return;
      sock.destroy();
      resolve(buf.subarray(eol + 2, eol + 2 + len).toString());
    });
  });
}

async function startOnce(): Promise<RedisChild> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  args.push('--maxmemory', REDIS_MAXMEMORY, '--maxmemory-policy', 'noeviction', '--loglevel', 'warning');
  const cp = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  live.add(cp);
  guard();
  const exited = new Promise<void>((resolve) => cp.once('exit', () => resolve()));
  void exited.then(() => {
    live.delete(cp);
    unguard();
  });
  const spawnError = new Promise<Error>((resolve) => cp.once('error', resolve));
  const deadline = Date.now() + REDIS_READY_MS;
  let failure: Error | null = null;
  void spawnError.then((e) => {
    failure = new Error(`cannot start ${REDIS_SERVER}: ${e.message}`);
  });
  while (!(await pong(port))) {
    if (failure) throw failure;
    if (cp.exitCode !== null) throw new Error(`${REDIS_SERVER} exited (${cp.exitCode}) on port ${port}`);
    if (Date.now() > deadline) {
      cp.kill('SIGKILL');
      throw new Error(`${REDIS_SERVER} not answering PING after ${REDIS_READY_MS} ms`);
    }
    await sleep(50);
  }
  const pid = cp.pid ?? 0;
  return {
    port,
    pid,
    cpuSeconds() {
      const p = parseProcessStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (!p) throw new Error(`cannot read /proc/${pid}/stat`);
      return p.ticks / USER_HZ;
    },
    async commandCalls() {
      return parseCommandStats(await bulkCommand(port, 'INFO commandstats'));
    },
    async stop() {
      if (cp.exitCode !== null || cp.signalCode !== null) return;
      cp.kill('SIGKILL'); // nothing to save (no persistence)
      await exited;
    },
  };
}

/** Starts redis-server on a free port; retries twice if another process took the port in between. */
export async function startRedis(): Promise<RedisChild> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      last = err;
      if (err instanceof Error && err.message.startsWith('cannot start')) break;
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}
