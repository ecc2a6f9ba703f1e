// End to end in Firefox (Debian firefox-esr, driven by puppeteer-core over WebDriver BiDi; nothing is
// downloaded): the scenarios of browser.test.ts that exercise each page's browser code (WebSocket and
// long polling, escaping, canvas drawing, the multipart upload, the game's keyboard and ticks), in the other
// engine. Playwright's Firefox is a patched build it downloads, so a stock Firefox goes through BiDi instead.
// A missing firefox-esr FAILS with `CI` set (.ci/run installs it) and skips loudly otherwise.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoServer } from '../src/server/server.js';
import { demo } from './helpers.js';
import { distinctColours } from './screenshots.js';

const FIREFOX = process.env.PUSHWIRE_FIREFOX ?? '/usr/bin/firefox-esr';
const present = existsSync(FIREFOX);
if (!present && process.env.CI) {
  throw new Error(
    `Firefox not found at ${FIREFOX}. Install it with \`apt-get install -y firefox-esr\` (.ci/run does this), ` +
      'or point PUSHWIRE_FIREFOX at a Firefox binary.',
  );
}
if (!present) {
  console.warn(
    `\n*** firefox.test.ts SKIPPED: no Firefox at ${FIREFOX} (apt-get install -y firefox-esr); with CI set this fails ***\n`,
  );
}

/** Every wait is bounded; generous because the machine is shared and Firefox is slower to start. */
const WAIT = { timeout: 20_000 };
let browser: Browser;
let server: DemoServer;
let files: string;
const contexts: BrowserContext[] = [];
const errors = new Map<Page, string[]>();

async function person(viewport = { width: 1280, height: 860 }): Promise<Page> {
  // A browser context each: its own cookies (one BAYEUX_BROWSER each), so each is a separate person.
  const context = await browser.createBrowserContext();
  contexts.push(context);
  const page = await context.newPage();
  await page.setViewport(viewport);
  const seen: string[] = [];
  page.on('pageerror', (err) => seen.push(String(err)));
  // An alert means injected markup ran: fail loudly.
  page.on('dialog', (dialog) => {
    seen.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  errors.set(page, seen);
  return page;
}

function chatUrl(technique: string, nick: string, room: string): string {
  return `${server.url}chat?${new URLSearchParams({ technique, nick, room })}`;
}

/** Waits for an element matching `selector` whose text includes every one of `texts`. */
async function sees(page: Page, selector: string, ...texts: string[]): Promise<void> {
  await page.waitForFunction(
    (sel: string, want: string[]) =>
      [...document.querySelectorAll(sel)].some((el) => want.every((t) => el.textContent?.includes(t))),
    WAIT,
    selector,
    texts,
  );
}

async function say(page: Page, text: string): Promise<void> {
  await page.type('form input[name=message]', text);
  await page.keyboard.press('Enter');
}

describe.skipIf(!present)('Firefox (firefox-esr over WebDriver BiDi)', () => {
  beforeAll(async () => {
    [browser, server, files] = await Promise.all([
      puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true }),
      demo(),
      mkdtemp(join(tmpdir(), 'pushwire-ff-')),
    ]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await server?.close();
    if (files) await rm(files, { recursive: true, force: true });
  });

  it('a WebSocket chatter and a long-polling chatter see each other, their messages and presence', async () => {
    const ann = await person();
    const bob = await person();
    await ann.goto(chatUrl('websocket', 'ann', 'ff-one'));
    await sees(ann, '[data-testid=presence] [data-testid=member]', 'ann');
    await bob.goto(chatUrl('long-polling', 'bob', 'ff-one'));
    await sees(bob, '[data-testid=presence] [data-testid=member]', 'ann');
    await sees(ann, '[data-testid=presence] [data-testid=member]', 'bob');
    await say(ann, 'hello from a websocket');
    await say(bob, 'hello from long polling');
    await sees(bob, '[data-testid=messages] > [data-testid=message]', 'ann', 'hello from a websocket');
    await sees(ann, '[data-testid=messages] > [data-testid=message]', 'bob', 'hello from long polling');
    const technique = (p: Page) =>
      p.$eval('[data-testid=meter-technique]', (el) => el.getAttribute('data-value'));
    expect(await technique(ann)).toBe('websocket');
    expect(await technique(bob)).toBe('long-polling');
    expect([...(errors.get(ann) ?? []), ...(errors.get(bob) ?? [])]).toEqual([]);
    await Promise.all([ann.close(), bob.close()]);
  }, 60_000);

  it('a raw WebSocket chatter and a nickname made of markup: shown as text, no script runs', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const rob = await person();
    const mallory = await person();
    await rob.goto(chatUrl('raw-websocket', 'rob', 'ff-xss'));
    await mallory.goto(chatUrl('websocket', evil, 'ff-xss'));
    await sees(rob, '[data-testid=presence] [data-testid=member]', evil);
    await say(mallory, '<b>bold?</b>');
    await sees(rob, '[data-testid=messages] > [data-testid=message]', evil, '<b>bold?</b>');
    await sees(mallory, '[data-testid=presence] [data-testid=member]', 'rob', 'raw WS');
    const nick = await rob.$$eval('[data-testid=message-nick]', (els) => els.map((e) => e.textContent));
    expect(nick).toContain(evil);
    expect(
      await rob.$$eval(
        '[data-testid=messages] img, [data-testid=presence] img, [data-testid=messages] b',
        (els) => els.length,
      ),
    ).toBe(0);
    expect([...(errors.get(rob) ?? []), ...(errors.get(mallory) ?? [])]).toEqual([]);
    await Promise.all([rob.close(), mallory.close()]);
  }, 60_000);

  it('a whiteboard stroke reaches the other page', async () => {
    const a = await person();
    const b = await person();
    await Promise.all([
      a.goto(`${server.url}whiteboard?technique=websocket`),
      b.goto(`${server.url}whiteboard?technique=long-polling`),
    ]);
    await a.waitForSelector('[data-testid=board][data-ready=true]', WAIT);
    await b.waitForSelector('[data-testid=board][data-ready=true]', WAIT);
    const box = await (await a.$('[data-testid=board]'))?.boundingBox();
    if (!box) throw new Error('no board on the page');
    const at = (x: number, y: number) => [box.x + x * box.width, box.y + y * box.height] as const;
    await a.mouse.move(...at(0.1, 0.2));
    await a.mouse.down();
    for (const [x, y] of [
      [0.3, 0.5],
      [0.5, 0.3],
      [0.7, 0.6],
    ] as const) {
      await a.mouse.move(...at(x, y), { steps: 4 });
    }
    await a.mouse.up();
    await b.waitForFunction(
      () => Number(document.querySelector('[data-testid=stroke-count]')?.textContent) > 0,
      WAIT,
    );
    // The stroke is drawn on b's canvas, not only counted: non-white pixels.
    const ink = await b.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=board]')!;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4)
        if (data[i]! < 200 || data[i + 1]! < 200 || data[i + 2]! < 200) n++;
      return n;
    });
    expect(ink).toBeGreaterThan(200);
    await Promise.all([a.close(), b.close()]);
  }, 60_000);

  it('a photo uploaded by one viewer reaches the other, thumbnail decoded; the screenshot is not blank', async () => {
    const up = await person();
    const viewer = await person();
    await Promise.all([
      up.goto(`${server.url}photos?technique=websocket`),
      viewer.goto(`${server.url}photos?technique=long-polling`),
    ]);
    await viewer.waitForSelector('[data-testid=gallery][data-ready=true]', WAIT);
    // A real PNG, made by Firefox: a screenshot of the uploader's own page.
    const png = Buffer.from(await up.screenshot({ type: 'png' }));
    expect(png.length).toBeGreaterThan(5000);
    expect(await up.evaluate(distinctColours, png.toString('base64'))).toBeGreaterThan(64);
    const file = join(files, 'page.png');
    await writeFile(file, png);
    await up.type('[data-testid=upload-form] input[name=nick]', 'photographer');
    const input = await up.$('input[name=photo]');
    if (!input) throw new Error('no file input');
    await input.uploadFile(file);
    await up.click('[data-testid=upload-form] button[type=submit]');
    await sees(viewer, '[data-testid=photo]', 'photographer');
    await viewer.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid=photo-thumb]');
      return img?.complete === true && img.naturalWidth > 0 && img.src.startsWith('data:image/jpeg');
    }, WAIT);
    await sees(up, '[data-testid=upload-status]', 'Shared page.png');
    // The full-size photo the viewer links to is the uploaded bytes.
    const href = await viewer.$eval('[data-testid=photo] a', (a) => (a as HTMLAnchorElement).href);
    expect(Buffer.from(await (await fetch(href)).arrayBuffer()).equals(png)).toBe(true);
    expect([...(errors.get(up) ?? []), ...(errors.get(viewer) ?? [])]).toEqual([]);
    await Promise.all([up.close(), viewer.close()]);
  }, 60_000);

  it('the game shows another player moving', async () => {
    const mover = await person();
    const watcher = await person();
    await mover.goto(`${server.url}game?technique=websocket&nick=mover`);
    await watcher.goto(`${server.url}game?technique=long-polling&nick=watcher`);
    const player = '[data-testid=player][data-nick=mover]';
    await watcher.waitForSelector(player, WAIT);
    const x0 = Number(await watcher.$eval(player, (el) => el.getAttribute('data-x')));
    const key = x0 > 400 ? 'ArrowLeft' : 'ArrowRight';
    await mover.keyboard.down(key);
    await watcher.waitForFunction(
      (sel: string, from: number, dir: string) => {
        const x = Number(document.querySelector(sel)?.getAttribute('data-x'));
        return dir === 'ArrowRight' ? x > from + 60 : x < from - 60;
      },
      WAIT,
      player,
      x0,
      key,
    );
    await mover.keyboard.up(key);
    expect([...(errors.get(mover) ?? []), ...(errors.get(watcher) ?? [])]).toEqual([]);
    await Promise.all([mover.close(), watcher.close()]);
  }, 60_000);
});
