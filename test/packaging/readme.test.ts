// The packages as a user gets them (issue 7): `npm pack` of every workspace, the tarballs installed together
// in a fresh folder OUTSIDE the clone (no tsx, no sources resolution, no workspace links), and the README
// examples run there exactly as written, only their port 8000 swapped for a free one: the Bayeux server and
// client, the same client against `pushwire serve`, the WebSocket echo pair, and the browser page in Chromium.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import {
  examplesOf,
  freePort,
  installApp,
  killAll,
  missingBuild,
  node,
  PACKAGES,
  packAll,
  REPO,
  tarList,
  WORKSPACES,
  writeExamples,
} from './support.js';

let root: string;
let app: string;
let tarballs: string[];
let examples: Map<string, string>;

beforeAll(async () => {
  const missing = missingBuild();
  if (missing.length > 0) {
    throw new Error(
      `not built: ${missing.join(', ')}. Run \`npm install\` (its prepare builds) or \`npm run build\`.`,
    );
  }
  root = await mkdtemp(join(tmpdir(), 'pushwire-packaging-'));
  app = join(root, 'app');
  tarballs = await packAll(join(root, 'tarballs'));
  await installApp(app, tarballs);
  examples = await examplesOf(join(REPO, 'README.md'));
}, 120_000);

afterEach(killAll);
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('every package packs its build and LICENSE, the documented ones their README, and no tests', async () => {
    expect(tarballs).toHaveLength(WORKSPACES.length);
    for (const tarball of tarballs) {
      const files = await tarList(tarball);
      for (const f of ['package/package.json', 'package/LICENSE', 'package/dist/index.js']) {
        expect(files, tarball).toContain(f);
      }
      expect(
        files.filter((f) => f.includes('/test/') || f.endsWith('.tsbuildinfo')),
        tarball,
      ).toEqual([]);
    }
    for (const p of PACKAGES) {
      const name = new RegExp(
        p === 'pushwire' ? '/pushwire-\\d[^/]*\\.tgz$' : `/pushwire-${p}-\\d[^/]*\\.tgz$`,
      );
      const tarball = tarballs.find((t) => name.test(t));
      expect(tarball, p).toBeDefined();
      expect(await tarList(tarball as string), p).toContain('package/README.md');
    }
    const client = tarballs.find((t) => t.includes('pushwire-client-')) as string;
    expect(await tarList(client)).toContain('package/dist/pushwire-client.iife.js');
    const license = await readFile(join(app, 'node_modules/@pushwire/server/LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 pushwire contributors\n/);
  });

  it('the tarballs installed together outside the clone: every package imports, the bin runs compiled', async () => {
    // Nothing above the app can lend it tsx or the workspace sources.
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);
    const probe = node(app, [
      '--input-type=module',
      '-e',
      `for (const p of ['@pushwire/websocket', '@pushwire/bayeux', '@pushwire/server', '@pushwire/client', '@pushwire/components', '@pushwire/redis', 'pushwire', 'pushwire/server', 'pushwire/client', 'pushwire/components', 'pushwire/redis']) {
         const m = await import(p);
         console.log(p, Object.keys(m).length > 0);
       }`,
    ]);
    expect(await probe.exited, probe.err()).toBe(0);
    expect(probe.out().trim().split('\n')).toEqual([
      '@pushwire/websocket true',
      '@pushwire/bayeux true',
      '@pushwire/server true',
      '@pushwire/client true',
      '@pushwire/components true',
      '@pushwire/redis true',
      'pushwire true',
      'pushwire/server true',
      'pushwire/client true',
      'pushwire/components true',
      'pushwire/redis true',
    ]);
    const version = node(app, ['node_modules/.bin/pushwire', '--version']);
    expect(await version.exited, version.err()).toBe(0);
    const pkg = JSON.parse(await readFile(join(REPO, 'packages/pushwire/package.json'), 'utf8')) as {
      version: string;
    };
    expect(version.out()).toBe(`${pkg.version}\n`);
  });
});

describe('README examples, run as written in the installed project', () => {
  it('the README has the examples this test runs', () => {
    expect([...examples.keys()].sort()).toEqual([
      'client.js',
      'index.html',
      'server.js',
      'ws-client.js',
      'ws-server.js',
    ]);
  });

  it('server.js and client.js: subscribe, publish, remote call', async () => {
    const port = await freePort();
    await writeExamples(app, examples, port);
    const server = node(app, ['server.js']);
    await server.waitFor(`Bayeux server on http://127.0.0.1:${port}/bayeux`);
    const client = node(app, ['client.js']);
    await client.waitFor("received /chat/lobby { text: 'hi' }");
    await client.waitFor('echo: { ping: 1 }');
    await client.waitFor('connected over websocket');
    await server.waitFor('subscribed to /chat/*');
    expect(client.err()).toBe('');
    expect(server.err()).toBe('');
  });

  it('client.js against `pushwire serve` (the Bayeux endpoint npm start serves too) on the same default port', async () => {
    const port = await freePort();
    await writeExamples(app, examples, port);
    const serve = node(app, ['node_modules/.bin/pushwire', 'serve', '--port', String(port)]);
    await serve.waitFor(`pushwire serve listening on http://127.0.0.1:${port}/bayeux`);
    const client = node(app, ['client.js']);
    await client.waitFor("received /chat/lobby { text: 'hi' }");
    await client.waitFor('echo: { ping: 1 }');
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  });

  it('ws-server.js and ws-client.js: an echo round trip, then the client exits', async () => {
    const port = await freePort();
    await writeExamples(app, examples, port);
    const server = node(app, ['ws-server.js']);
    await server.waitFor(`WebSocket echo on ws://127.0.0.1:${port}/`);
    const client = node(app, ['ws-client.js']);
    expect(await client.exited, client.err()).toBe(0);
    expect(client.out()).toBe('echo: hello\n');
  });

  it("the pushwire package's own README (as packed): server.js and client.js through pushwire/* subpaths", async () => {
    const own = await examplesOf(join(app, 'node_modules/pushwire/README.md'));
    expect([...own.keys()].sort()).toEqual(['client.js', 'server.js']);
    const dir = join(app, 'umbrella');
    await mkdir(dir, { recursive: true });
    const port = await freePort();
    await writeExamples(dir, own, port);
    const server = node(dir, ['server.js']);
    await server.waitFor(`Bayeux server on http://127.0.0.1:${port}/bayeux`);
    const client = node(dir, ['client.js']);
    await client.waitFor("received /chat/lobby { text: 'hi' }");
    await client.waitFor('echo: { ping: 1 }');
  });

  describe('index.html in Chromium, served by server.js', () => {
    let browser: Browser | undefined;
    afterAll(async () => {
      await browser?.close();
    });

    it('shows what the page publishes, as text', async () => {
      const port = await freePort();
      await writeExamples(app, examples, port);
      const server = node(app, ['server.js']);
      await server.waitFor('Bayeux server on');
      browser = await launchBrowser();
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await server.waitFor('subscribed to /chat/*');
      const text = '<img src=x onerror="document.title=1"> hello';
      await page.fill('#text', text);
      await page.click('button');
      const item = page.locator('#log li', { hasText: '/chat/lobby' });
      await item.waitFor({ timeout: 10_000 });
      expect(await item.textContent()).toBe(`/chat/lobby: ${JSON.stringify({ text })}`);
      expect(await page.locator('#log img').count()).toBe(0);
      expect(await page.title()).toBe('pushwire chat');
    }, 60_000);
  });
});
