// The shape issue 14 asked for, kept: no import cycle of any kind (type-only imports count) in the client
// sources or the bench that drives them, and each vocabulary written once (transport names in
// negotiate.ts, meta channels in @pushwire/bayeux).

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(HERE, '../src');
const BENCH = resolve(HERE, '../../../bench');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'results' ? [] : tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file (static, type-only, re-exports and dynamic), as absolute .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] as string);
  return specs.map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
}

/** Every cycle in the graph, each as the list of files on it (depth-first search, three colours). */
function cycles(files: string[], edges: (file: string) => string[] = importsOf): string[][] {
  const graph = new Map(files.map((f) => [f, edges(f).filter((i) => files.includes(i))]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push(stack.slice(stack.indexOf(next)));
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return found;
}

describe('layout', () => {
  it.each([
    ['packages/client/src', SRC],
    ['bench', BENCH],
  ])('%s has no import cycle (type-only imports included)', (_name, dir) => {
    const short = (f: string) => f.slice(dir.length + 1);
    expect(cycles(tsFiles(dir)).map((c) => c.map(short))).toEqual([]);
  });

  it('the cycle finder sees type-only imports and finds a cycle (so the test above can fail)', () => {
    // transport.ts imports options.ts with `import type`: it must be an edge.
    expect(importsOf(join(SRC, 'transports/transport.ts'))).toContain(join(SRC, 'options.ts'));
    const graph: Record<string, string[]> = { a: ['b'], b: ['c'], c: ['a'], d: ['a'] };
    expect(cycles(Object.keys(graph), (f) => graph[f] ?? [])).toEqual([['a', 'b', 'c']]);
  });

  it('transport names are written only in negotiate.ts, meta channel prefixes nowhere in the client', () => {
    for (const file of tsFiles(SRC)) {
      const code = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => !line.trim().startsWith('//') && !line.trim().startsWith('*'))
        .join('\n');
      if (!file.endsWith('negotiate.ts')) {
        expect(code, file).not.toMatch(/'(websocket|long-polling|callback-polling|short-polling)'/);
      }
      expect(code, file).not.toMatch(/'\/meta\/|'\/service\//);
    }
  });
});
