#!/usr/bin/env node
// The pushwire CLI: dist/cli.js when built, else src/cli.ts through tsx (run-entry.js says when and why).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runEntry } from './run-entry.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await runEntry({
  name: 'pushwire',
  built: join(root, 'dist', 'cli.js'),
  source: join(root, 'src', 'cli.ts'),
  argv: process.argv.slice(2),
});
