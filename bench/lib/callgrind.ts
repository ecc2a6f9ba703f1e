// Instruction counts that do not depend on the machine's load: BENCH_CALLGRIND=<dir> runs every server
// child under `valgrind --tool=callgrind` (instrumentation off until asked), and the harness brackets
// exactly the measured work with `callgrind_control --zero` / `--dump`, reading the instructions executed
// (Ir) from the dump. Valgrind runs the server ~30-50x slower, so scenarios use low rates; figures are
// instructions per delivered message, comparable between contenders in the same run and across runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The directory for callgrind output, when instruction counting is on. */
export function callgrindDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.BENCH_CALLGRIND;
  return dir === undefined || dir === '' ? undefined : dir;
}

/** The command prefix that runs a child under callgrind (empty when off). */
export function callgrindPrefix(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = callgrindDir(env);
  if (dir === undefined) return [];
  mkdirSync(dir, { recursive: true });
  return [
    'valgrind',
    '--tool=callgrind',
    // V8 writes and rewrites machine code in its heap: valgrind must notice (else it runs stale code).
    '--smc-check=all-non-file',
    '--dump-instr=no',
    // One dump per thread: the main thread (the event loop: our code, the HTTP parser, the syscalls) apart
    // from V8's background threads (concurrent JIT compilation and GC), which a short run under valgrind
    // is dominated by (66-72 % of all instructions in the first long-polling runs).
    '--separate-threads=yes',
    '--collect-atstart=yes',
    `--callgrind-out-file=${join(dir, `${name}.%p.out`)}`,
  ];
}

/** Parses the `totals:` (or `summary:`) line of a callgrind dump: instructions executed. */
export function parseTotals(text: string): number {
  const m = /^(?:totals|summary):\s+(\d+)/m.exec(text);
  if (!m) throw new Error('no totals line in the callgrind dump');
  return Number(m[1]);
}

/** Zeroes the counters of the process `pid` (the start of the measured work). */
export function zeroCounters(pid: number): void {
  execFileSync('callgrind_control', ['--zero', String(pid)], { stdio: 'ignore' });
}

/** Instructions since the last zero: all threads, and the main thread (the event loop) alone. */
export interface Instructions {
  total: number;
  main: number;
}

/** The main thread's dump among one dump's per-thread files (`<name>.<pid>.out.<n>-01`). */
export function mainThreadFile(files: readonly string[]): string | undefined {
  return files.find((f) => f.endsWith('-01')) ?? (files.length === 1 ? files[0] : undefined);
}

/** Dumps the counters of `pid` and returns the instructions executed since the last zero. */
export function dumpInstructions(pid: number, dir: string): Instructions {
  const before = new Set(readdirSync(dir));
  execFileSync('callgrind_control', ['--dump', String(pid)], { stdio: 'ignore' });
  const fresh = readdirSync(dir)
    .filter((f) => f.includes(`.${pid}.out`) && !before.has(f))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (fresh.length === 0) throw new Error(`callgrind wrote no dump for ${pid}`);
  let total = 0;
  for (const f of fresh) total += parseTotals(readFileSync(f, 'utf8'));
  const main = mainThreadFile(fresh);
  return { total, main: main === undefined ? Number.NaN : parseTotals(readFileSync(main, 'utf8')) };
}
