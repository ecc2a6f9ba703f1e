// Node-only (never imported by index.ts): the browser build of this package, for servers that serve it
// at `<mount>/client.js`. ESM or IIFE (global `Pushwire`), built with esbuild for `platform: 'browser'`,
// so any Node built-in reaching the browser path fails the build instead of shipping.
//
// browserBundle() serves the prebuilt file from `npm run build:browser` (dist/pushwire-client.*.js) when
// running compiled, and builds in memory once per process when running from sources or when the file is
// missing (esbuild is a devDependency; production installs ship dist).

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export type BundleFormat = 'esm' | 'iife';

/** File names written by scripts/build-browser.ts into packages/client/dist/. */
export const BUNDLE_FILES: Record<BundleFormat, string> = {
  esm: 'pushwire-client.esm.js',
  iife: 'pushwire-client.iife.js',
};

const cache = new Map<BundleFormat, Promise<string>>();
const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');
// Compiled into dist/, the sources are still shipped in src/ (package.json "files").
const ENTRY = fileURLToPath(new URL(RUNNING_FROM_SOURCE ? './index.ts' : '../src/index.ts', import.meta.url));

/** Absolute path of the prebuilt bundle (it exists only after `build:browser`). */
export function browserBundlePath(format: BundleFormat = 'iife'): string {
  // Works from src/ (sources) and from dist/ (compiled): both are one level below the package root.
  return fileURLToPath(new URL(`../dist/${BUNDLE_FILES[format]}`, import.meta.url));
}

/** The browser bundle as JavaScript source: serve it with `Content-Type: text/javascript; charset=utf-8`. */
export function browserBundle(format: BundleFormat = 'iife'): Promise<string> {
  let promise = cache.get(format);
  if (promise === undefined) {
    // From sources (tests, tsx) always build, so a stale dist/ file is never served; compiled, use dist/.
    promise = RUNNING_FROM_SOURCE
      ? buildBrowserBundle(format, true)
      : readFile(browserBundlePath(format), 'utf8').catch(() => buildBrowserBundle(format, true));
    promise.catch(() => cache.delete(format));
    cache.set(format, promise);
  }
  return promise;
}

/**
 * The esbuild options every browser build of the project shares (this bundle, the demo's page scripts):
 * in memory, for `platform: 'browser'` at ES2022, workspace packages resolved to their TypeScript sources
 * (the `pushwire-source` export condition). A fresh object each call: esbuild may keep what it is given.
 */
export function browserBuildOptions(): {
  bundle: true;
  write: false;
  platform: 'browser';
  target: string[];
  sourcemap: false;
  conditions: string[];
  logLevel: 'silent';
} {
  return {
    bundle: true,
    write: false,
    platform: 'browser',
    target: ['es2022'],
    sourcemap: false,
    conditions: ['pushwire-source'],
    logLevel: 'silent',
  };
}

/** Builds the bundle with esbuild (in memory). */
export async function buildBrowserBundle(format: BundleFormat, minify = false): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    ...browserBuildOptions(),
    entryPoints: [ENTRY],
    format,
    globalName: format === 'iife' ? 'Pushwire' : undefined,
    minify,
    plugins: [
      {
        name: 'pushwire-browser-only',
        setup(build) {
          // The Node WebSocket loader is replaced: browsers always have globalThis.WebSocket.
          build.onResolve({ filter: /node-websocket\.js$/ }, () => ({
            path: 'node-websocket',
            namespace: 'pushwire-stub',
          }));
          build.onLoad({ filter: /.*/, namespace: 'pushwire-stub' }, () => ({
            contents:
              "export async function loadNodeWebSocket() { throw new Error('pushwire: no WebSocket implementation in this environment'); }",
            loader: 'js',
          }));
        },
      },
    ],
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('pushwire: esbuild produced no output');
  return file.text;
}
