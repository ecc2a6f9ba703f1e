// The browser snippet of packages/client/README.md, run as written in Chromium: served with the bundle at
// /pushwire.js next to a Bayeux server it shows `connected` and the message it published; against an
// origin with no Bayeux endpoint its status line says what is wrong (HTTP 404, check the URL).

import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type OurServer, startOurs } from '../../packages/client/test/helpers.js';
import { closePage, serveInFront, useBrowserAndBundle } from '../helpers/bayeux-page.js';
import { type StaticSite, serveStatic } from '../helpers/browser.js';

const README = readFileSync(new URL('../../packages/client/README.md', import.meta.url), 'utf8');
const SNIPPET = /```html\n([\s\S]*?)```/.exec(README)?.[1] ?? '';

const env = useBrowserAndBundle();

describe('README browser snippet (Chromium)', () => {
  let server: OurServer | undefined;
  let site: StaticSite | undefined;
  let page: Page | undefined;
  afterEach(async () => {
    await closePage(page);
    await site?.close();
    await server?.close();
    server = site = page = undefined;
  });

  it('the README has the snippet, loading /pushwire.js and using the global Pushwire', () => {
    expect(SNIPPET).toContain('<script src="/pushwire.js"></script>');
    expect(SNIPPET).toContain('new Pushwire.Client(');
  });

  it('next to a Bayeux server: connected, and the published line shown', async () => {
    server = await startOurs({ timeout: 1000 });
    serveInFront(server.http, {
      '/': ['text/html; charset=utf-8', SNIPPET],
      '/pushwire.js': ['text/javascript', env.bundle],
    });
    page = await env.browser.newPage();
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.waitForFunction(() => document.querySelectorAll('#log li').length === 1);
    expect(await page.textContent('#log li')).toBe('browser: hello');
    expect(await page.textContent('#status')).toBe('connected');
    expect(await page.evaluate(() => typeof (window as unknown as { client?: unknown }).client)).toBe(
      'undefined',
    );
  });

  it('no Bayeux endpoint at /bayeux: the status line says HTTP 404 and to check the URL', async () => {
    site = await serveStatic({
      '/': ['text/html; charset=utf-8', SNIPPET],
      '/pushwire.js': ['text/javascript', env.bundle],
    });
    page = await env.browser.newPage();
    await page.goto(site.url);
    await page.waitForFunction(() =>
      document.getElementById('status')?.textContent?.startsWith('retry 1 in'),
    );
    const status = await page.textContent('#status');
    expect(status).toMatch(
      /^retry 1 in \d+ s: HTTP 404 \(no Bayeux endpoint at this path: check the URL\) from http:\/\/127\.0\.0\.1:\d+\/bayeux$/,
    );
  });
});
