// vitest globalSetup: the server serves the prebuilt browser bundle (packages/client/dist/*.js, written by
// `npm run build` / `npm install`), it never builds it at run time. Tests that fetch `<mount>/client.js` need
// that file, so it is built here once per run when it is missing or older than the sources it is made of.

import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUNDLES = ['pushwire-client.iife.js', 'pushwire-client.esm.js'].map((f) =>
  join(ROOT, 'packages/client/dist', f),
);
/** What the bundle is built from (the client and the workspace packages it imports). */
const SOURCES = ['client', 'bayeux', 'websocket'].map((p) => join(ROOT, 'packages', p, 'src'));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

export default function setup(): void {
  const oldest = Math.min(...BUNDLES.map(builtAt));
  const sources = Math.max(...SOURCES.map(newestSource));
  if (oldest >= sources) return;
  execFileSync('npm', ['run', 'build:browser', '-w', '@pushwire/client'], { cwd: ROOT, stdio: 'ignore' });
}
