// packages/bayeux runs in browsers (DESIGN.md): no Node built-ins, no Buffer, no process.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const srcDir = fileURLToPath(new URL('../src/', import.meta.url));

describe('isomorphic package', () => {
  it('no source file reaches for Node APIs', () => {
    for (const file of readdirSync(srcDir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(srcDir + file, 'utf8');
      expect(text, file).not.toMatch(/from ['"]node:|require\(|\bBuffer\b|\bprocess\./);
    }
  });

  it('bundles for the browser with no externals', async () => {
    const result = await build({
      entryPoints: [`${srcDir}index.ts`],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const out = result.outputFiles[0]?.text ?? '';
    expect(out).toContain('session_unknown');
    expect(out).not.toMatch(/node:/);
  });
});
