// Child processes for the bench: every server under test and every load generator runs in its own Node
// process, so they never share an event loop and memory/CPU are measured per process. Parent and child
// talk over the IPC channel with numbered request/response messages.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callgrindPrefix } from './callgrind.js';

const here = dirname(fileURLToPath(import.meta.url));
export const benchDir = join(here, '..');

interface Request {
  id: number;
  cmd: string;
  args: unknown;
}
interface Response {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}
interface Ready {
  type: 'ready';
  info: unknown;
}

export interface Child {
  name: string;
  /** The child's process id (under valgrind too: the shell execs valgrind, which runs node in place). */
  pid: number;
  /** What the child announced once ready (its port, for a server). */
  info: unknown;
  call<T = unknown>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Asks nicely (SIGTERM), then kills after a grace period. Resolves once the process is gone. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const cp of live) cp.kill('SIGKILL');
});

/**
 * Our packages as the children load them: `dist` (compiled by `npm run build`, what users run: heap and
 * CPU figures are those of the published JavaScript, not of tsx's transform) unless BENCH_SOURCE=1, which
 * resolves them to their TypeScript sources (the `pushwire-source` export condition) for quick iterations.
 */
export function packageConditions(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.BENCH_SOURCE === '1' ? ['--conditions=pushwire-source'] : [];
}

/**
 * Starts `bench/<file>` (the bench's own TypeScript through tsx; our packages compiled, see
 * `packageConditions`), with `--expose-gc` and a raised open-files limit (10,000 sockets per process), and
 * waits for its `ready` message.
 */
export async function startChild(
  name: string,
  file: string,
  args: string[] = [],
  readyTimeoutMs = 30_000,
  opts: { callgrind?: boolean } = {},
): Promise<Child> {
  const execArgv = ['--expose-gc', '--max-old-space-size=4096', ...packageConditions(), '--import', 'tsx'];
  // BENCH_PROFILE=<dir>: every child writes V8 CPU profiles to <dir>/<name>-<time>/ (one per thread: tsx's
  // loader runs in a worker; the biggest file is the main thread). Summarise with bench/profile-summary.ts.
  const profileDir = process.env.BENCH_PROFILE;
  if (profileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${name}-${Date.now()}`)}`);
  // The shell raises the soft fd limit to the hard limit, then execs node, which inherits the IPC fd.
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
  // BENCH_CALLGRIND: servers (opts.callgrind) run under valgrind's callgrind for instruction counts.
  const prefix = opts.callgrind === true ? callgrindPrefix(name) : [];
  const argv0 = prefix.length > 0 ? (prefix[0] as string) : process.execPath;
  const rest = prefix.length > 0 ? [...prefix.slice(1), process.execPath] : [];
  const cp = spawn('/bin/sh', ['-c', script, argv0, ...rest, ...execArgv, join(benchDir, file), ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    cwd: join(benchDir, '..'),
  });
  live.add(cp);
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => {
    cp.once('exit', (code, signal) => {
      live.delete(cp);
      for (const p of pending.values()) p.reject(new Error(`${name} exited (${code ?? signal})`));
      pending.clear();
      resolve();
    });
  });
  const info = await new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name}: not ready after ${readyTimeoutMs} ms`)),
      readyTimeoutMs,
    );
    cp.on('message', (raw: unknown) => {
      const msg = raw as Ready | Response;
      if ('type' in msg && msg.type === 'ready') {
        clearTimeout(timer);
        resolve(msg.info);
        return;
      }
      const res = msg as Response;
      const p = pending.get(res.id);
      if (!p) return;
      pending.delete(res.id);
      if (res.ok) p.resolve(res.result);
      else p.reject(new Error(`${name}: ${res.error ?? 'failed'}`));
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready`));
    });
  });
  return {
    name,
    pid: cp.pid ?? 0,
    info,
    call<T>(cmd: string, args: unknown = {}, timeoutMs = 120_000): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: ${cmd} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        cp.send({ id, cmd, args } satisfies Request);
      });
    },
    async stop(): Promise<void> {
      if (cp.exitCode !== null || cp.signalCode !== null) return;
      cp.kill('SIGTERM');
      const timer = setTimeout(() => cp.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export type Handler = (args: never) => unknown;

/** Child side: announces `info` as ready and answers the parent's commands with `handlers`. */
export function serveParent(handlers: Record<string, Handler>, info: unknown = {}): void {
  const send = (msg: Response | Ready): void => {
    process.send?.(msg);
  };
  process.on('message', (raw: unknown) => {
    const req = raw as Request;
    const handler = handlers[req.cmd];
    if (!handler) {
      send({ id: req.id, ok: false, error: `unknown command ${req.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(req.args as never))
      .then(
        (result) => send({ id: req.id, ok: true, result }),
        (err: unknown) =>
          send({
            id: req.id,
            ok: false,
            error: err instanceof Error ? (err.stack ?? err.message) : String(err),
          }),
      );
  });
  // The parent going away (IPC closed) ends the child: nothing may outlive a bench run.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  send({ type: 'ready', info });
}

/** Heap and RSS after full collections (children run with --expose-gc). */
export function measureMemory(): { heapUsed: number; rss: number; external: number; arrayBuffers: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 4; i++) gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** BENCH_SNAPSHOT=<dir>: the server writes a heap snapshot there (bench/heap-summary.ts reads it). */
export async function snapshot(server: Child, label: string): Promise<void> {
  const dir = process.env.BENCH_SNAPSHOT;
  if (!dir) return;
  const r = await server.call<{ file: string }>('snapshot', { dir, label }, 600_000);
  console.log(`  heap snapshot: ${r.file}`);
}
