// Summarises a V8 heap snapshot written with BENCH_SNAPSHOT=<dir>: retained-by-nobody accounting is out of
// scope; this adds up self sizes and counts per constructor / node type, which is enough to see what an
// idle connection costs (divide by the connection count).
// Usage: tsx bench/heap-summary.ts <file> [top] [perN] [--base=<file>] [--owners=<group>] [--strings]
//   --base=<file>   subtract that snapshot's groups (the same server with N fewer clients: what N more hold,
//                   the marginal cost without the one-time JIT code and shared structures)
//   --owners=<group> for the nodes of one group (as printed, e.g. "object Object" or "array"), who points
//                   at them: the owner's group and the edge name, counted
//   --strings       the most repeated string values (duplicates one shared string could replace)
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Group {
  count: number;
  size: number;
}

/** One snapshot, read once: each node's group key and self size, and its outgoing edges. */
class Heap {
  readonly snap: Snapshot;
  readonly width: number;
  readonly edgeWidth: number;
  readonly #types: string[];
  readonly #edgeTypes: string[];
  readonly #iType: number;
  readonly #iName: number;
  readonly #iSize: number;
  readonly #iEdges: number;
  readonly #eType: number;
  readonly #eName: number;
  readonly #eTo: number;

  constructor(file: string) {
    this.snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
    const meta = this.snap.snapshot.meta;
    const f = meta.node_fields;
    this.width = f.length;
    this.#types = meta.node_types[0];
    this.#iType = f.indexOf('type');
    this.#iName = f.indexOf('name');
    this.#iSize = f.indexOf('self_size');
    this.#iEdges = f.indexOf('edge_count');
    const e = meta.edge_fields;
    this.edgeWidth = e.length;
    this.#edgeTypes = meta.edge_types[0];
    this.#eType = e.indexOf('type');
    this.#eName = e.indexOf('name_or_index');
    this.#eTo = e.indexOf('to_node');
  }

  type(i: number): string {
    return this.#types[this.snap.nodes[i + this.#iType] ?? 0] ?? '?';
  }

  name(i: number): string {
    return this.snap.strings[this.snap.nodes[i + this.#iName] ?? 0] ?? '?';
  }

  size(i: number): number {
    return this.snap.nodes[i + this.#iSize] ?? 0;
  }

  /** Strings and code are grouped by type; objects, closures and natives by constructor name. */
  key(i: number): string {
    const type = this.type(i);
    const name = type === 'object' || type === 'closure' || type === 'native' ? this.name(i) : '';
    return `${type}${name ? ` ${name.slice(0, 60)}` : ''}`;
  }

  groups(): { total: number; groups: Map<string, Group> } {
    const groups = new Map<string, Group>();
    let total = 0;
    for (let i = 0; i < this.snap.nodes.length; i += this.width) {
      const key = this.key(i);
      const size = this.size(i);
      total += size;
      const g = groups.get(key) ?? { count: 0, size: 0 };
      g.count++;
      g.size += size;
      groups.set(key, g);
    }
    return { total, groups };
  }

  /** Calls `visit(from, edgeName, to)` for every edge (node offsets into `nodes`). */
  eachEdge(visit: (from: number, edge: string, to: number) => void): void {
    const { nodes, edges, strings } = this.snap;
    let e = 0;
    for (let i = 0; i < nodes.length; i += this.width) {
      const n = nodes[i + this.#iEdges] ?? 0;
      for (let k = 0; k < n; k++, e += this.edgeWidth) {
        const type = this.#edgeTypes[edges[e + this.#eType] ?? 0] ?? '?';
        const raw = edges[e + this.#eName] ?? 0;
        const edge = type === 'element' || type === 'hidden' ? `[${type}]` : (strings[raw] ?? '?');
        visit(i, `${type === 'weak' ? 'weak ' : ''}${edge}`, edges[e + this.#eTo] ?? 0);
      }
    }
  }
}

const args = process.argv.slice(2);
const flags = new Map(
  args
    .filter((a) => a.startsWith('--'))
    .map((a) => {
      const eq = a.indexOf('=');
      return eq < 0 ? [a.slice(2), ''] : [a.slice(2, eq), a.slice(eq + 1)];
    }),
);
const [file, topArg, perArg] = args.filter((a) => !a.startsWith('--'));
if (!file) {
  console.error(
    'usage: tsx bench/heap-summary.ts <file.heapsnapshot> [top] [connections] [--base=<file>] [--owners=<group>] [--strings]',
  );
  process.exit(2);
}
const top = Number(topArg ?? 30);
const per = Number(perArg ?? 1);
const heap = new Heap(file);
const { total, groups } = heap.groups();
const baseFile = flags.get('base');
let baseTotal = 0;
if (baseFile) {
  const base = new Heap(baseFile).groups();
  baseTotal = base.total;
  for (const [key, g] of base.groups) {
    const mine = groups.get(key) ?? { count: 0, size: 0 };
    groups.set(key, { count: mine.count - g.count, size: mine.size - g.size });
  }
}
const span = baseFile ? `minus ${baseFile} (${((total - baseTotal) / 1e6).toFixed(2)} MB)` : '';
console.log(
  `${file}: ${(total / 1e6).toFixed(1)} MB self size ${span}; per-connection figures divide by ${per}`,
);
const rows = [...groups.entries()].sort((a, b) => b[1].size - a[1].size).slice(0, top);
const perColumns = (g: Group): string =>
  per > 1
    ? `  ${(g.size / per).toFixed(0).padStart(6)} B/conn  ${(g.count / per).toFixed(2).padStart(6)}/conn`
    : '';
for (const [key, g] of rows) {
  console.log(
    `${(g.size / 1e3).toFixed(0).padStart(9)} kB ${String(g.count).padStart(8)}${perColumns(g)}  ${key}`,
  );
}
if (baseFile) console.log(`per connection in all: ${((total - baseTotal) / per).toFixed(0)} B`);

const owned = flags.get('owners');
if (owned) {
  // Each node of the group counted once, under its first strong owner (a shared node is not counted again
  // for every object that points at it).
  const ownerOf = new Map<number, string>();
  heap.eachEdge((from, edge, to) => {
    if (edge.startsWith('weak ') || ownerOf.has(to) || heap.key(to) !== owned) return;
    ownerOf.set(to, `${heap.key(from)} .${edge}`);
  });
  const owners = new Map<string, Group>();
  for (const [to, k] of ownerOf) {
    const g = owners.get(k) ?? { count: 0, size: 0 };
    g.count++;
    g.size += heap.size(to);
    owners.set(k, g);
  }
  console.log(`\nwho holds "${owned}" (each node once, under its first strong owner):`);
  for (const [k, g] of [...owners.entries()].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
    console.log(
      `${(g.size / 1e3).toFixed(0).padStart(9)} kB ${String(g.count).padStart(8)}${perColumns(g)}  ${k}`,
    );
  }
}

if (flags.has('strings')) {
  const values = new Map<string, Group>();
  for (let i = 0; i < heap.snap.nodes.length; i += heap.width) {
    const type = heap.type(i);
    if (type !== 'string' && type !== 'concatenated string' && type !== 'sliced string') continue;
    const v = heap.name(i).slice(0, 80);
    const g = values.get(v) ?? { count: 0, size: 0 };
    g.count++;
    g.size += heap.size(i);
    values.set(v, g);
  }
  console.log('\nmost repeated string values (copies, bytes):');
  const repeated = [...values.entries()].filter(([, g]) => g.count > 1);
  for (const [v, g] of repeated.sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
    console.log(
      `${(g.size / 1e3).toFixed(0).padStart(9)} kB ${String(g.count).padStart(8)}  ${JSON.stringify(v)}`,
    );
  }
}
