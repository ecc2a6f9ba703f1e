// How much CPU the rest of the machine took while a run was measured. The load average cannot tell: on
// 2 cores a run that keeps its server and its generator busy raises the 1-minute load to about 2 by itself,
// so "load after" is mostly the run's own doing. What makes a figure untrustworthy is CPU taken by OTHER
// processes (another engineer's tests, a build) during the run. Linux accounts both: /proc/stat has the
// machine's busy time, /proc/<pid>/stat each process's (utime+stime, plus cutime+cstime of the children it
// has reaped, so children that exited during the run are still counted through their parent, proc(5)).
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's counters (USER_HZ: 100 on every Linux ABI Node supports). */
export const USER_HZ = 100;

/** A reading: the machine's busy ticks and the ticks spent by this process and its descendants. */
export interface CpuSnapshot {
  /** Monotonic ms when read. */
  at: number;
  /** Busy ticks of the whole machine (all CPUs), or NaN where /proc/stat is missing. */
  machine: number;
  /** Ticks of this process tree (live processes plus the children they have reaped). */
  ours: number;
}

/** Busy ticks from the aggregate `cpu` line of /proc/stat: everything except idle and iowait. */
export function parseMachineBusy(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return Number.NaN;
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return user + nice + system + irq + softirq + steal;
}

/** From one /proc/<pid>/stat: the parent pid and the ticks of the process and its reaped children. */
export function parseProcessStat(stat: string): { ppid: number; ticks: number } | null {
  // The command name (field 2) is in parentheses and may hold spaces: parse after the last ')'.
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const f = stat
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // f[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14-17.
  const ppid = Number(f[1]);
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return Number.isFinite(ppid) && Number.isFinite(ticks) ? { ppid, ticks } : null;
}

/** Ticks of `root` and every live descendant, given each process's parent and ticks. */
export function treeTicks(procs: ReadonlyMap<number, { ppid: number; ticks: number }>, root: number): number {
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(pid);
    else children.set(p.ppid, [pid]);
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    total += procs.get(pid)?.ticks ?? 0;
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  return total;
}

/** Reads the machine and this process tree now. */
export function cpuSnapshot(root = process.pid): CpuSnapshot {
  let machine = Number.NaN;
  const procs = new Map<number, { ppid: number; ticks: number }>();
  try {
    machine = parseMachineBusy(readFileSync('/proc/stat', 'utf8'));
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const p = parseProcessStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
        if (p) procs.set(Number(name), p);
      } catch {
        // The process exited between readdir and read: its ticks are in its parent's reaped counters.
      }
    }
  } catch {
    // Not Linux: the share is unknown (NaN), and the gate then relies on the load average alone.
  }
  return { at: performance.now(), machine, ours: treeTicks(procs, root) };
}

/**
 * CPU used by everything outside this process tree between two snapshots, in cores (1 = one core busy
 * the whole time). NaN when unknown. Clamped at 0: tick rounding can make it slightly negative.
 */
export function foreignCores(a: CpuSnapshot, b: CpuSnapshot): number {
  const seconds = (b.at - a.at) / 1000;
  if (!(seconds > 0) || !Number.isFinite(a.machine) || !Number.isFinite(b.machine)) return Number.NaN;
  const foreignTicks = b.machine - a.machine - (b.ours - a.ours);
  return Math.max(0, foreignTicks / USER_HZ / seconds);
}
