// Summarises a V8 heap snapshot written with BENCH_SNAPSHOT=<dir>: retained-by-nobody accounting is out of
// scope; this adds up self sizes and counts per constructor / node type, which is enough to see what an
// idle connection costs (divide by the connection count). Usage: tsx bench/heap-summary.ts <file> [top] [perN]
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const [file, topArg, perArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/heap-summary.ts <file.heapsnapshot> [top] [connections]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const per = Number(perArg ?? 1);
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = fields.length;
const iType = fields.indexOf('type');
const iName = fields.indexOf('name');
const iSize = fields.indexOf('self_size');
const groups = new Map<string, { count: number; size: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + iType] ?? 0] ?? '?';
  const rawName = snap.strings[snap.nodes[i + iName] ?? 0] ?? '?';
  // Strings and code are grouped by type; objects by constructor name.
  const name = type === 'object' || type === 'closure' || type === 'native' ? rawName : '';
  const key = `${type}${name ? ` ${name.slice(0, 60)}` : ''}`;
  const size = snap.nodes[i + iSize] ?? 0;
  total += size;
  const g = groups.get(key) ?? { count: 0, size: 0 };
  g.count++;
  g.size += size;
  groups.set(key, g);
}
console.log(`${file}: ${(total / 1e6).toFixed(1)} MB self size; per-connection figures divide by ${per}`);
const rows = [...groups.entries()].sort((a, b) => b[1].size - a[1].size).slice(0, top);
for (const [key, g] of rows) {
  const perConn =
    per > 1
      ? `  ${(g.size / per).toFixed(0).padStart(6)} B/conn  ${(g.count / per).toFixed(2).padStart(6)}/conn`
      : '';
  console.log(`${(g.size / 1e3).toFixed(0).padStart(9)} kB ${String(g.count).padStart(8)}${perConn}  ${key}`);
}
