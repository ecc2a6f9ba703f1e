// The package's own layering (DESIGN.md "Dependencies point one way"): the lowest layer imports no other
// workspace package (its tests neither), and its modules form no import cycle, type-only imports included.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Every module specifier of a file: static imports and re-exports (type-only ones too), dynamic imports. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) found.push(m[1]!);
  return found;
}

/** The import graph of src/: file -> the src files it imports. */
function graph(): Map<string, string[]> {
  const src = join(root, 'src');
  const edges = new Map<string, string[]>();
  for (const file of tsFiles(src)) {
    const targets = specifiers(readFileSync(file, 'utf8'))
      .filter((s) => s.startsWith('.'))
      .map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
    edges.set(file, targets);
  }
  return edges;
}

/** One cycle as a list of files relative to src/, or null. Depth-first search with colours. */
function findCycle(edges: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of edges.keys()) {
    if (state.get(file) !== undefined) continue;
    const cycle = visit(file);
    if (cycle) return cycle.map((f) => relative(join(root, 'src'), f));
  }
  return null;
}

describe('layering of @pushwire/websocket', () => {
  it('has no import cycle in src/, type-only imports included', () => {
    const edges = graph();
    expect(edges.size).toBeGreaterThan(20);
    expect(findCycle(edges)).toBeNull();
  });

  it('the cycle finder finds a cycle (the check can fail)', () => {
    const a = join(root, 'src', 'a.ts');
    const b = join(root, 'src', 'b.ts');
    expect(
      findCycle(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual(['a.ts', 'b.ts', 'a.ts']);
    expect(specifiers("import type { X } from './x.js';\nexport { y } from './y.js';")).toEqual([
      './x.js',
      './y.js',
    ]);
  });

  it('imports no other workspace package, in src/ or test/', () => {
    const offenders: string[] = [];
    for (const file of [...tsFiles(join(root, 'src')), ...tsFiles(join(root, 'test'))]) {
      for (const s of specifiers(readFileSync(file, 'utf8'))) {
        if (
          /^(?:pushwire|@pushwire\/)/.test(s) ||
          /^(?:\.\.\/)+(?:\.\.\/)?(?:pushwire|server|client|bayeux)\//.test(s)
        ) {
          offenders.push(`${relative(root, file)}: ${s}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
