// Printed table and JSON results. A row holds one metric measured on each server, and the ratio
// ours / peer, oriented so that > 1 always means "ours is better".
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
}

export function ratio(row: Row): number | null {
  if (row.ours === null || row.peer === null || row.ours === 0 || row.peer === 0) return null;
  if (!Number.isFinite(row.ours) || !Number.isFinite(row.peer)) return null;
  return row.higherIsBetter ? row.ours / row.peer : row.peer / row.ours;
}

function fmt(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** Renders rows as a Markdown table (readable in a terminal and pasteable into bench/README.md). */
export function renderTable(rows: Row[], peerName: string): string {
  const head = ['scenario', 'metric', 'ours', peerName, 'ratio', 'target', ''];
  const lines = [head, head.map(() => '---')];
  for (const row of rows) {
    const r = ratio(row);
    const verdict = row.target === undefined || r === null ? '' : r >= row.target ? 'met' : 'MISSED';
    lines.push([
      row.scenario,
      `${row.metric} (${row.unit})`,
      fmt(row.ours),
      fmt(row.peer),
      r === null ? 'n/a' : `${r.toFixed(2)}x`,
      row.target === undefined ? '' : `>= ${row.target}x`,
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
