// Shared helper for browser end-to-end tests: one headless Debian Chromium per test file (playwright-core),
// and a tiny static page server on 127.0.0.1:0. A missing Chromium is a FAILURE with instructions, never a
// silent skip: these tests are part of `npm test`.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.PUSHWIRE_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. Install it with \`apt-get install -y chromium\` (.ci/run does this), ` +
        'or point PUSHWIRE_CHROMIUM at a Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

export interface StaticSite {
  /** Base URL, e.g. http://127.0.0.1:34567/ */
  url: string;
  close(): Promise<void>;
}

/** Serve fixed pages: path -> [content type, body]. Anything else is a 404. */
export async function serveStatic(
  pages: Record<string, readonly [string, string | Buffer]>,
): Promise<StaticSite> {
  const server: Server = createServer((req, res) => {
    const page = pages[new URL(req.url ?? '/', 'http://x').pathname];
    if (!page) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': page[0], 'cache-control': 'no-store' }).end(page[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
