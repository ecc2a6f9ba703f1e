// Static pages: the HTML shells (public/*.html), the stylesheet, and the page scripts. Every page response
// carries a Content-Security-Policy that allows scripts from this origin only (the JSON-P transport loads
// its scripts from /bayeux, same origin), so even a missed escape could not run injected markup's script.

import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BUNDLES, type BundleName, PUBLIC_DIR } from './assets.js';

/** Page paths (deep links keep their query) -> HTML file in public/. */
export const PAGES: Record<string, string> = {
  '/': 'index.html',
  '/chat': 'chat.html',
  '/whiteboard': 'whiteboard.html',
  '/photos': 'photos.html',
  '/game': 'game.html',
};

const FILES: Record<string, readonly [file: string, type: string]> = {
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
  '/favicon.svg': ['favicon.svg', 'image/svg+xml'],
};

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export class PageSite {
  readonly #files = new Map<string, readonly [Buffer, string]>();

  /** `mount` (checked by resolveDemoOptions: safe in an attribute) tells the pages where Bayeux is. */
  static async load(bundles: Map<BundleName, string>, mount: string): Promise<PageSite> {
    const site = new PageSite();
    for (const [path, file] of Object.entries(PAGES)) {
      const html = (await readFile(`${PUBLIC_DIR}${file}`, 'utf8')).replace(
        'data-bayeux="/bayeux"',
        `data-bayeux="${mount}"`,
      );
      site.#files.set(path, [Buffer.from(html), 'text/html; charset=utf-8']);
    }
    for (const [path, [file, type]] of Object.entries(FILES)) {
      site.#files.set(path, [await readFile(`${PUBLIC_DIR}${file}`), type]);
    }
    for (const name of BUNDLES) {
      const code = bundles.get(name);
      if (code !== undefined)
        site.#files.set(`/assets/${name}.js`, [Buffer.from(code), 'text/javascript; charset=utf-8']);
    }
    return site;
  }

  /** Answers GET/HEAD for a known path; false when the path is not a page or asset. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const file = this.#files.get(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
    if (file === undefined) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' })
        .end('method not allowed\n');
      return true;
    }
    res.writeHead(200, {
      'Content-Type': file[1],
      'Content-Length': file[0].length,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': CSP,
      'Referrer-Policy': 'no-referrer',
      // Pages and scripts change with the server; revalidate so a page never runs an older script.
      'Cache-Control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : file[0]);
    return true;
  }
}
