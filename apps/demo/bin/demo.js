#!/usr/bin/env node
// The demo server (`npm start` at the repository root). It runs the compiled dist/ once `npm install` has
// built it; otherwise (or under the `pushwire-source` condition) the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'server', 'main.js');
const sourceCondition = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) =>
  a.includes('pushwire-source'),
);
let mod;
if (existsSync(built) && !sourceCondition && !process.env.PUSHWIRE_FROM_SOURCE) {
  mod = await import(pathToFileURL(built).href);
} else {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    process.stderr.write(
      `pushwire demo: ${built} is missing and tsx (to run the sources) is not installed: run \`npm run build\`.\n`,
    );
    process.exit(1);
  }
  tsx.register();
  const { register: registerHook } = await import('node:module');
  registerHook('./source-conditions.mjs', import.meta.url);
  mod = await import(pathToFileURL(join(root, 'src', 'server', 'main.ts')).href);
}
const code = await mod.main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
