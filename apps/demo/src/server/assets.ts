// The pages' scripts (src/pages/*.ts), bundled for the browser with esbuild. `npm install` builds them into
// dist/public/assets/ (scripts/build-pages.ts, run by the root build); running from the TypeScript sources
// (tests, tsx) they are built in memory at startup instead, so a stale dist/ is never served.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { browserBuildOptions } from '@pushwire/client/bundle';

/** Page scripts by name (served at /assets/<name>.js). */
export const BUNDLES = ['landing', 'chat', 'whiteboard', 'photos', 'game'] as const;
export type BundleName = (typeof BUNDLES)[number];

const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');
// src/server/ and dist/server/ are both two levels below the app root.
const APP_ROOT = new URL('../../', import.meta.url);

export const PUBLIC_DIR = fileURLToPath(new URL('public/', APP_ROOT));
export const BUILT_ASSETS_DIR = fileURLToPath(new URL('dist/public/assets/', APP_ROOT));

function entry(name: BundleName): string {
  return fileURLToPath(new URL(`src/pages/${name}.ts`, APP_ROOT));
}

/** Bundles every page script in memory. */
export async function buildPageBundles(minify = true): Promise<Map<BundleName, string>> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    // Pages use the client served at /pushwire.js (global `Pushwire`); they import only its types.
    ...browserBuildOptions(),
    entryPoints: Object.fromEntries(BUNDLES.map((name) => [name, entry(name)])),
    outdir: BUILT_ASSETS_DIR,
    format: 'esm',
    minify,
  });
  const out = new Map<BundleName, string>();
  for (const file of result.outputFiles) {
    const name = BUNDLES.find((n) => file.path.endsWith(`/${n}.js`));
    if (name !== undefined) out.set(name, file.text);
  }
  if (out.size !== BUNDLES.length)
    throw new Error('pushwire demo: esbuild did not produce every page script');
  return out;
}

/** The page scripts: prebuilt when compiled (falling back to a build), built in memory from sources. */
export async function loadPageBundles(): Promise<Map<BundleName, string>> {
  if (RUNNING_FROM_SOURCE) return buildPageBundles(false);
  try {
    const out = new Map<BundleName, string>();
    for (const name of BUNDLES) out.set(name, await readFile(`${BUILT_ASSETS_DIR}${name}.js`, 'utf8'));
    return out;
  } catch {
    return buildPageBundles(true);
  }
}
