// Printed table and JSON results. A row holds one metric measured on each server, and the ratio
// ours / peer, oriented so that > 1 always means "ours is better".
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNote, orientedRatio, type RunLoad } from './honesty.js';

export interface Row {
  scenario: string;
  metric: string;
  unit: string;
  ours: number | null;
  peer: number | null;
  /** true when a bigger value is better (throughput); false for latency and memory. */
  higherIsBetter: boolean;
  /** Optional target for the ratio, e.g. 1.2 (ours must be at least 1.2x the peer). */
  target?: number;
  note?: string;
  /** The worst load average over the runs behind the row's figures (shown next to them). */
  load?: RunLoad | null;
  /** The figures are instruction counts (callgrind): the load is shown for the record, never disqualifies. */
  loadIndependent?: boolean;
  /** The two figures were taken at different rates (e.g. each at its own sustained step): no ratio. */
  noRatio?: boolean;
}

export function ratio(row: Row): number | null {
  if (row.noRatio === true) return null;
  return orientedRatio(row.ours, row.peer, row.higherIsBetter);
}

function fmt(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/**
 * Renders rows as a Markdown table (readable in a terminal and pasteable into bench/README.md). A target
 * is never reported as met when the row was measured under load: it says "not a result" instead.
 */
export function renderTable(rows: Row[], peerName: string, oursName = 'ours'): string {
  const head = ['scenario', 'metric', oursName, peerName, 'ratio', 'target', 'load avg before/after', ''];
  const lines = [head, head.map(() => '---')];
  for (const row of rows) {
    const r = ratio(row);
    const underLoad = row.load && row.loadIndependent !== true ? !row.load.quiet : false;
    const verdict =
      row.target === undefined || r === null
        ? ''
        : underLoad
          ? `${r >= row.target ? 'looks met' : 'looks missed'}, taken under load: not a result`
          : r >= row.target
            ? 'met'
            : 'MISSED';
    lines.push([
      row.scenario,
      `${row.metric} (${row.unit})`,
      fmt(row.ours),
      fmt(row.peer),
      row.noRatio === true ? '-' : r === null ? 'n/a' : `${r.toFixed(2)}x`,
      row.target === undefined ? '' : `>= ${row.target}x`,
      row.loadIndependent === true && row.load
        ? `load ${row.load.before.toFixed(1)}/${row.load.after.toFixed(1)} (instruction counts: load-independent)`
        : loadNote(row.load ?? null),
      [verdict, row.note ?? ''].filter(Boolean).join(' '),
    ]);
  }
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

const here = dirname(fileURLToPath(import.meta.url));

/** Writes bench/results/<name>-<ISO date>.json and returns its path. */
export function writeResults(name: string, payload: unknown): string {
  const dir = join(here, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(dir, `${name}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n`);
  return file;
}
