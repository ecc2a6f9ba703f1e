// Issue 8 item 9: a <script> tag on another site could handshake, subscribe and publish over callback-polling
// (JSON-P) with the user's cookies (Faye and CometD behave the same). Now a request a browser marks as
// cross-site (Sec-Fetch-Site, else Origin/Referer) is refused before anything runs unless the page's origin
// is in `cors`. The answer is still a script: Bayeux errors with `reconnect: 'none'` reach the callback (a
// 403 would only fire the tag's onerror). Same-site requests and requests without those headers (Node
// clients, old browsers) work as before. The same is proven in Chromium with a page on another site.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message } from '@pushwire/bayeux';
import { type BayeuxServer, type BayeuxServerOptions, createBayeuxServer } from '@pushwire/server';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type StaticSite, serveStatic } from '../helpers/browser.js';
import { HANDSHAKE, jsonpGet } from './http-support.js';

let bayeux: BayeuxServer | undefined;
let http: Server | undefined;
let port = 0;
const sites: StaticSite[] = [];

/** A Bayeux server whose HTTP server also serves a same-origin page at /same.html. */
async function start(options: BayeuxServerOptions = {}, page = ''): Promise<void> {
  bayeux = createBayeuxServer(options);
  http = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  bayeux.attach(http);
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  port = (http.address() as AddressInfo).port;
}

afterEach(async () => {
  await bayeux?.close();
  http?.closeAllConnections();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  for (const s of sites.splice(0)) await s.close();
  bayeux = undefined;
  http = undefined;
});

const DENIED = {
  channel: '/meta/handshake',
  id: 'h',
  successful: false,
  error: '403::cross_site_denied',
  advice: { reconnect: 'none' },
};

describe('cross-site callback-polling (headers as browsers send them)', () => {
  it('Sec-Fetch-Site: cross-site is refused in the callback, nothing processed', async () => {
    await start();
    const answer = await jsonpGet(port, [HANDSHAKE], {
      headers: { 'Sec-Fetch-Site': 'cross-site', Referer: 'http://evil.example/page' },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(answer.messages).toEqual([DENIED]);
    expect(await bayeux!.engine.clientCount()).toBe(0);
    expect(bayeux!.stats['cross-site']).toBe(1);
  });

  it('an old browser (no Sec-Fetch-Site) with a Referer of another site is refused too', async () => {
    await start();
    const answer = await jsonpGet(port, [HANDSHAKE], { headers: { Referer: 'http://evil.example/' } });
    expect(answer.messages).toEqual([DENIED]);
  });

  it('same-origin, same-site and header-less requests work; ctx.crossSite tells the policy', async () => {
    const seen: (boolean | undefined)[] = [];
    await start({
      securityPolicy: {
        canHandshake: (_m, ctx) => {
          seen.push(ctx.crossSite);
          return true;
        },
      },
    });
    for (const headers of [
      {},
      { 'Sec-Fetch-Site': 'same-origin' },
      { 'Sec-Fetch-Site': 'same-site', Referer: 'http://other.127.0.0.1.example/' },
      { Referer: `http://127.0.0.1:${port}/page` },
    ] as Record<string, string>[]) {
      const answer = await jsonpGet(port, [HANDSHAKE], { headers });
      expect(answer.messages[0]?.successful).toBe(true);
    }
    expect(seen).toEqual([false, false, false, false]);
  });

  it('a cross-site origin listed in cors (from Referer) is served, and the policy sees crossSite true', async () => {
    const seen: (boolean | undefined)[] = [];
    await start({
      cors: { origins: ['http://partner.example'] },
      securityPolicy: {
        canHandshake: (_m, ctx) => {
          seen.push(ctx.crossSite);
          return true;
        },
      },
    });
    const cross = { 'Sec-Fetch-Site': 'cross-site' };
    const ok = await jsonpGet(port, [HANDSHAKE], {
      headers: { ...cross, Referer: 'http://partner.example/x' },
    });
    expect(ok.messages[0]?.successful).toBe(true);
    expect(seen).toEqual([true]);
    const other = await jsonpGet(port, [HANDSHAKE], {
      headers: { ...cross, Referer: 'http://evil.example/' },
    });
    expect(other.messages).toEqual([DENIED]);
    // No Referer at all (Referrer-Policy: no-referrer): the origin is unknown, so it is not in the list.
    expect((await jsonpGet(port, [HANDSHAKE], { headers: cross })).messages).toEqual([DENIED]);
  });

  it("cors origins '*' lets any site use JSON-P (the old behaviour, on purpose)", async () => {
    await start({ cors: { origins: '*' } });
    const answer = await jsonpGet(port, [HANDSHAKE], {
      headers: { 'Sec-Fetch-Site': 'cross-site', Referer: 'http://evil.example/' },
    });
    expect(answer.messages[0]?.successful).toBe(true);
  });
});

describe('cross-site callback-polling in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A page that loads one callback-polling handshake as a <script> and records what the callback got. */
  function page(bayeuxOrigin: string): string {
    const q = new URLSearchParams({ message: JSON.stringify([HANDSHAKE]), jsonp: 'cb' });
    return `<!doctype html><title>jsonp</title><script>window.got = null; function cb(r) { window.got = r; }</script>
<script src="${bayeuxOrigin}/bayeux?${q}"></script>`;
  }

  async function loadAndRead(url: string): Promise<Message[]> {
    const p = await browser.newPage();
    try {
      await p.goto(url);
      await p.waitForFunction(() => (window as unknown as { got: unknown }).got !== null, undefined, {
        timeout: 10_000,
      });
      return (await p.evaluate(() => (window as unknown as { got: Message[] }).got)) as Message[];
    } finally {
      await p.close();
    }
  }

  it('a page on another site (localhost vs 127.0.0.1) gets the refusal; the same-origin page handshakes', async () => {
    await start({}, '');
    const evil = await serveStatic({
      '/evil.html': ['text/html; charset=utf-8', page(`http://127.0.0.1:${port}`)],
    });
    sites.push(evil);
    // `localhost` and `127.0.0.1` are different sites: Chromium sends Sec-Fetch-Site: cross-site.
    const evilUrl = `${evil.url.replace('127.0.0.1', 'localhost')}evil.html`;
    expect(await loadAndRead(evilUrl)).toEqual([DENIED]);
    expect(await bayeux!.engine.clientCount()).toBe(0);

    await bayeux!.close();
    http!.closeAllConnections();
    await new Promise<void>((resolve) => http!.close(() => resolve()));
    await start({}, page(''));
    const same = await loadAndRead(`http://127.0.0.1:${port}/same.html`);
    expect(same[0]).toMatchObject({ channel: '/meta/handshake', successful: true });
  });

  it('the other site listed in cors is served', async () => {
    // The cors list is read on every request: the page's origin is added once its port is known.
    const origins: string[] = [];
    await start({ cors: { origins } });
    const partner = await serveStatic({
      '/partner.html': ['text/html; charset=utf-8', page(`http://127.0.0.1:${port}`)],
    });
    sites.push(partner);
    const base = partner.url.replace('127.0.0.1', 'localhost');
    origins.push(new URL(base).origin);
    const got = await loadAndRead(`${base}partner.html`);
    expect(got[0]).toMatchObject({ channel: '/meta/handshake', successful: true });
  });
});
