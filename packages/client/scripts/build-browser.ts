// Writes the browser bundles: dist/pushwire-client.esm.js and dist/pushwire-client.iife.js (global
// `Pushwire`). Run: npx tsx --conditions=pushwire-source packages/client/scripts/build-browser.ts [--minify]

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BUNDLE_FILES, browserBundlePath, buildBrowserBundle } from '../src/browser-bundle.js';

const minify = process.argv.includes('--minify');
for (const format of Object.keys(BUNDLE_FILES) as (keyof typeof BUNDLE_FILES)[]) {
  const code = await buildBrowserBundle(format, minify);
  const path = browserBundlePath(format);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, code);
  console.log(`${path} ${code.length} bytes`);
}
