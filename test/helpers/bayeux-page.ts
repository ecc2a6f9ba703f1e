// Shared by the Chromium tests of the browser client: one Chromium and the minified IIFE bundle per test
// file, pages served in front of a Bayeux server (same origin), and the page teardown that disconnects the
// page's `window.client` first (so the server sees a /meta/disconnect, not a cut).

import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildBrowserBundle } from '../../packages/client/src/browser-bundle.js';
import { launchBrowser } from './browser.js';

export interface BrowserAndBundle {
  /** Set in beforeAll. */
  browser: Browser;
  /** The minified IIFE bundle (global `Pushwire`), as browserBundle() serves it. */
  bundle: string;
}

/** Launches Chromium and builds the bundle before the file's tests; closes Chromium after them. */
export function useBrowserAndBundle(): BrowserAndBundle {
  const env = {} as BrowserAndBundle;
  beforeAll(async () => {
    [env.browser, env.bundle] = await Promise.all([launchBrowser(), buildBrowserBundle('iife', true)]);
  });
  afterAll(async () => {
    await env.browser?.close();
  });
  return env;
}

/**
 * Serves `pages` (request target -> [content type, body]) from `http` in front of the Bayeux listener
 * already attached: attach() keeps listeners registered before it for other paths, so ours go first.
 */
export function serveInFront(http: Server, pages: Record<string, readonly [string, string]>): void {
  const bayeuxListener = http.listeners('request')[0] as (
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
  ) => void;
  http.removeAllListeners('request');
  http.on('request', (req, res) => {
    const page = Object.hasOwn(pages, req.url ?? '') ? pages[req.url ?? ''] : undefined;
    if (page) res.writeHead(200, { 'content-type': page[0] }).end(page[1]);
    else bayeuxListener(req, res);
  });
}

/** Disconnects the page's `window.client` (if any), then closes the page. */
export async function closePage(page: Page | undefined): Promise<void> {
  await page?.evaluate(() =>
    (window as unknown as { client?: { disconnect(): Promise<void> } }).client?.disconnect(),
  );
  await page?.close();
}
