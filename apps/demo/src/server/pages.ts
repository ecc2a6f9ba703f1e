// Static pages: public/layout.html (head, navigation, meter) around each page's <main> (public/*.html),
// the stylesheet, and the page scripts. Every page response
// carries a Content-Security-Policy that allows scripts from this origin only (the JSON-P transport loads
// its scripts from /bayeux, same origin), so even a missed escape could not run injected markup's script.

import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BUNDLES, type BundleName, PUBLIC_DIR } from './assets.js';

interface PageEntry {
  /** Its <main> in public/. */
  file: string;
  /** `data-page`, and the page script served at /assets/<bundle>.js. */
  bundle: BundleName;
  title: string;
  /** Its label in the navigation. */
  label: string;
}

/** Page paths (deep links keep their query), in navigation order. */
export const PAGES: Record<string, PageEntry> = {
  '/': { file: 'index.html', bundle: 'landing', title: 'pushwire: four ways to push', label: 'Home' },
  '/chat': { file: 'chat.html', bundle: 'chat', title: 'Chat · pushwire demo', label: 'Chat' },
  '/whiteboard': {
    file: 'whiteboard.html',
    bundle: 'whiteboard',
    title: 'Whiteboard · pushwire demo',
    label: 'Whiteboard',
  },
  '/photos': { file: 'photos.html', bundle: 'photos', title: 'Photos · pushwire demo', label: 'Photos' },
  '/game': { file: 'game.html', bundle: 'game', title: 'Game · pushwire demo', label: 'Game' },
};

/**
 * One page's HTML: the layout with its title, script, navigation (the current page marked) and <main>.
 * Every value is a constant of this file, not input: nothing here needs escaping.
 */
export function renderPage(layout: string, path: string, main: string): string {
  const page = PAGES[path];
  if (page === undefined) throw new Error(`pushwire demo: no page ${path}`);
  const nav = Object.entries(PAGES)
    .map(
      ([href, p]) => `        <a href="${href}"${href === path ? ' aria-current="page"' : ''}>${p.label}</a>`,
    )
    .join('\n');
  // Functions as replacements: a `$` in the page's markup stays as written.
  return layout
    .replace('{{title}}', () => page.title)
    .replaceAll('{{page}}', () => page.bundle)
    .replace('{{nav}}', () => nav)
    .replace('{{main}}', () => main.replace(/\n$/, ''));
}

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
    const layout = await readFile(`${PUBLIC_DIR}layout.html`, 'utf8');
    for (const [path, { file }] of Object.entries(PAGES)) {
      const main = await readFile(`${PUBLIC_DIR}${file}`, 'utf8');
      const html = renderPage(layout, path, main).replace('data-bayeux="/bayeux"', `data-bayeux="${mount}"`);
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
