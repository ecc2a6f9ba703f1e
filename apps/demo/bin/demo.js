#!/usr/bin/env node
// The demo server (`npm start` at the repository root): dist/server/main.js once `npm install` has built it,
// else (or under the `pushwire-source` condition) the TypeScript sources through tsx, started the way the
// pushwire CLI is (pushwire/bin/run-entry.js).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runEntry } from 'pushwire/bin/run-entry.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await runEntry({
  name: 'pushwire demo',
  built: join(root, 'dist', 'server', 'main.js'),
  source: join(root, 'src', 'server', 'main.ts'),
  argv: process.argv.slice(2),
});
