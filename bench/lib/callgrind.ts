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

/** Dumps the counters of `pid` and returns the instructions executed since the last zero. */
export function dumpInstructions(pid: number, dir: string): number {
  const before = new Set(readdirSync(dir));
  execFileSync('callgrind_control', ['--dump', String(pid)], { stdio: 'ignore' });
  const fresh = readdirSync(dir)
    .filter((f) => f.includes(`.${pid}.out`) && !before.has(f))
    .map((f) => join(dir, f));
  const file = fresh.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (file === undefined) throw new Error(`callgrind wrote no dump for ${pid}`);
  return parseTotals(readFileSync(file, 'utf8'));
}
