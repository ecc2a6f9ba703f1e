#!/usr/bin/env node
// The pushwire CLI. A published package runs its compiled dist/; inside the repository (no build yet)
// it runs the TypeScript sources through tsx, so `npm install && npx pushwire` works with no build step.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli.js');
let mod;
// Under the `pushwire-source` condition, `@pushwire/*` resolve to TypeScript sources, which compiled code
// cannot load: run from source then too.
const sourceCondition = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) =>
  a.includes('pushwire-source'),
);
if (existsSync(built) && !sourceCondition && !process.env.PUSHWIRE_FROM_SOURCE) {
  mod = await import(pathToFileURL(built).href);
} else {
  // tsx compiles the TypeScript; the hook registered after it runs first and adds the source condition.
  const { register } = await import('tsx/esm/api');
  register();
  const { register: registerHook } = await import('node:module');
  registerHook('./source-conditions.mjs', import.meta.url);
  mod = await import(pathToFileURL(join(root, 'src', 'cli.ts')).href);
}
const code = await mod.main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
