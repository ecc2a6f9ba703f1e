// End to end in Chromium (playwright-core + Debian chromium): people on different techniques chat, draw,
// share photos and play together through one demo server. One browser, a few contexts (each its own
// cookies, so each is a separate person), every wait bounded.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../../test/helpers/browser.js';
import type { DemoServer } from '../src/server/server.js';
import { demo } from './helpers.js';
import { checkNotBlank, saveScreenshot } from './screenshots.js';

const WAIT = { timeout: 15_000 };
let browser: Browser;
let server: DemoServer;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, server] = await Promise.all([launchBrowser(), demo()]);
}, 60_000);
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await server?.close();
});

async function person(viewport = { width: 1280, height: 860 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  // An alert means injected markup ran: fail loudly.
  page.on('dialog', (dialog) => {
    errors.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  (page as Page & { errors: string[] }).errors = errors;
  return page;
}

const errorsOf = (page: Page): string[] => (page as Page & { errors: string[] }).errors;

function chatUrl(technique: string, nick: string, room: string): string {
  return `${server.url}chat?${new URLSearchParams({ technique, nick, room })}`;
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('form input[name=message]', text);
  await page.press('form input[name=message]', 'Enter');
}

async function seesMessage(page: Page, nick: string, text: string): Promise<void> {
  await page
    .locator('[data-testid=messages] > [data-testid=message]')
    .filter({ has: page.locator('[data-testid=message-nick]', { hasText: nick }) })
    .filter({ hasText: text })
    .first()
    .waitFor(WAIT);
}

async function seesMember(page: Page, nick: string): Promise<void> {
  await page.locator('[data-testid=presence] [data-testid=member]', { hasText: nick }).first().waitFor(WAIT);
}

async function meterValue(page: Page, field: string): Promise<number> {
  return Number(await page.locator(`[data-testid=meter-${field}]`).getAttribute('data-value'));
}

describe('chat', () => {
  it('a WebSocket chatter and a short-polling chatter see each other and each other’s messages', async () => {
    const ann = await person();
    const bob = await person();
    await ann.goto(chatUrl('websocket', 'ann', 'e2e-one'));
    await seesMember(ann, 'ann');
    await bob.goto(chatUrl('short-polling', 'bob', 'e2e-one'));
    await seesMember(bob, 'ann');
    await seesMember(ann, 'bob');
    await say(ann, 'hello from a websocket');
    await say(bob, 'hello from short polling');
    await seesMessage(bob, 'ann', 'hello from a websocket');
    await seesMessage(ann, 'bob', 'hello from short polling');
    expect(await ann.locator('[data-testid=meter-technique]').getAttribute('data-value')).toBe('websocket');
    expect(await bob.locator('[data-testid=meter-technique]').getAttribute('data-value')).toBe(
      'short-polling',
    );
    // The switcher keeps the deep link: same nick and room, another technique.
    const href = await ann.locator('[data-testid=technique-raw-websocket]').getAttribute('href');
    expect(Object.fromEntries(new URL(href ?? '', server.url).searchParams)).toEqual({
      technique: 'raw-websocket',
      nick: 'ann',
      room: 'e2e-one',
    });
    expect([...errorsOf(ann), ...errorsOf(bob)]).toEqual([]);
    await Promise.all([ann.close(), bob.close()]);
  });

  it('a raw WebSocket chatter and a callback-polling chatter see both', async () => {
    const rob = await person();
    const cal = await person();
    await rob.goto(chatUrl('raw-websocket', 'rob', 'e2e-two'));
    await cal.goto(chatUrl('callback-polling', 'cal', 'e2e-two'));
    await seesMember(rob, 'cal');
    await seesMember(cal, 'rob');
    await say(rob, 'raw frames here');
    await say(cal, 'json-p here');
    await seesMessage(cal, 'rob', 'raw frames here');
    await seesMessage(rob, 'cal', 'json-p here');
    await seesMessage(rob, 'rob', 'raw frames here');
    await seesMessage(cal, 'cal', 'json-p here');
    // The raw technique's presence badge says what it is.
    await cal.locator('[data-testid=member]', { hasText: 'rob' }).filter({ hasText: 'raw WS' }).waitFor(WAIT);
    expect([...errorsOf(rob), ...errorsOf(cal)]).toEqual([]);
    await Promise.all([rob.close(), cal.close()]);
  });

  it('a nickname and a message made of markup show as text, and no script runs', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const mallory = await person();
    const viewer = await person();
    await viewer.goto(chatUrl('long-polling', 'viewer', 'e2e-xss'));
    await mallory.goto(chatUrl('websocket', evil, 'e2e-xss'));
    await seesMember(viewer, evil);
    await say(mallory, '<script>alert(2)</script><b>bold?</b>');
    await seesMessage(viewer, evil, '<script>alert(2)</script><b>bold?</b>');
    const nick = viewer.locator('[data-testid=message-nick]', { hasText: evil }).first();
    expect(await nick.textContent()).toBe(evil);
    expect(
      await viewer
        .locator('[data-testid=messages] img, [data-testid=presence] img, [data-testid=messages] b')
        .count(),
    ).toBe(0);
    expect([...errorsOf(viewer), ...errorsOf(mallory)]).toEqual([]);
    await Promise.all([mallory.close(), viewer.close()]);
  });

  it('a late joiner gets the recent messages; the form without a nick asks for one', async () => {
    const first = await person();
    await first.goto(chatUrl('websocket', 'early', 'e2e-late'));
    await seesMember(first, 'early');
    await say(first, 'said before you came');
    await seesMessage(first, 'early', 'said before you came');
    const late = await person();
    await late.goto(`${server.url}chat?technique=long-polling&room=e2e-late`);
    await late.locator('[data-testid=join-form]').waitFor(WAIT);
    await late.fill('input[name=nick]', 'late');
    await late.click('[data-testid=join-form] button[type=submit]');
    await seesMessage(late, 'early', 'said before you came');
    expect(new URL(late.url()).searchParams.get('nick')).toBe('late');
    await Promise.all([first.close(), late.close()]);
  });
});

describe('cost meter', () => {
  it('counts move, and short polling makes requests faster than long polling', async () => {
    const sp = await person();
    const lp = await person();
    await Promise.all([
      sp.goto(chatUrl('short-polling', 'sp', 'e2e-meter')),
      lp.goto(chatUrl('long-polling', 'lp', 'e2e-meter')),
    ]);
    await Promise.all([seesMember(sp, 'lp'), seesMember(lp, 'sp')]);
    const before = { sp: await meterValue(sp, 'requests'), lp: await meterValue(lp, 'requests') };
    // Wait for short polling to make 6 more requests (events, not a clock), then compare the counts.
    await sp.waitForFunction(
      (n) => Number(document.querySelector('[data-testid=meter-requests]')?.getAttribute('data-value')) >= n,
      before.sp + 6,
      WAIT,
    );
    const after = { sp: await meterValue(sp, 'requests'), lp: await meterValue(lp, 'requests') };
    expect(after.sp - before.sp).toBeGreaterThan(after.lp - before.lp);
    for (const page of [sp, lp]) {
      expect(await meterValue(page, 'messages')).toBeGreaterThan(0);
      expect(await meterValue(page, 'bytes-up')).toBeGreaterThan(0);
      expect(await meterValue(page, 'bytes-down')).toBeGreaterThan(0);
      await page.waitForFunction(
        () => document.querySelector('[data-testid=meter-rtt]')?.hasAttribute('data-value'),
        null,
        WAIT,
      );
    }
    // A message received moves the messages count.
    const messages = await meterValue(lp, 'messages');
    await say(sp, 'count me');
    await seesMessage(lp, 'sp', 'count me');
    await lp.waitForFunction(
      (n) => Number(document.querySelector('[data-testid=meter-messages]')?.getAttribute('data-value')) > n,
      messages,
      WAIT,
    );
    await Promise.all([sp.close(), lp.close()]);
  });
});

async function boardInk(page: Page): Promise<number> {
  // Non-white pixels on the board (the canvas is ours: same origin, readable).
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=board]')!;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0;
    for (let i = 0; i < data.length; i += 4)
      if (data[i]! < 200 || data[i + 1]! < 200 || data[i + 2]! < 200) ink++;
    return ink;
  });
}

async function draw(page: Page, points: [number, number][]): Promise<void> {
  const box = (await page.locator('[data-testid=board]').boundingBox())!;
  const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  await page.mouse.move(...at(points[0]!));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 4 });
  await page.mouse.up();
}

describe('whiteboard', () => {
  it('a stroke appears on the other page and for a late joiner; clear empties every board', async () => {
    const a = await person();
    const b = await person();
    await Promise.all([
      a.goto(`${server.url}whiteboard?technique=websocket`),
      b.goto(`${server.url}whiteboard?technique=long-polling`),
    ]);
    await Promise.all([
      a.locator('[data-testid=board][data-ready=true]').waitFor(WAIT),
      b.locator('[data-testid=board][data-ready=true]').waitFor(WAIT),
    ]);
    await draw(a, [
      [0.1, 0.2],
      [0.3, 0.5],
      [0.5, 0.3],
      [0.7, 0.6],
    ]);
    await b.waitForFunction(
      () => Number(document.querySelector('[data-testid=stroke-count]')?.textContent) > 0,
      null,
      WAIT,
    );
    expect(await boardInk(b)).toBeGreaterThan(200);
    const strokes = await a.locator('[data-testid=stroke-count]').textContent();
    const late = await person();
    await late.goto(`${server.url}whiteboard?technique=callback-polling`);
    await late.locator('[data-testid=board][data-ready=true]').waitFor(WAIT);
    await late.waitForFunction(
      (n) => document.querySelector('[data-testid=stroke-count]')?.textContent === n,
      strokes,
      WAIT,
    );
    expect(await boardInk(late)).toBeGreaterThan(200);
    await b.click('[data-testid=clear]');
    for (const page of [a, b, late]) {
      await page.waitForFunction(
        () => document.querySelector('[data-testid=stroke-count]')?.textContent === '0',
        null,
        WAIT,
      );
      expect(await boardInk(page)).toBe(0);
    }
    await Promise.all([a.close(), b.close(), late.close()]);
  });
});

describe('photos', () => {
  it('an uploaded photo appears for the other viewer with its thumbnail; a text file renamed .png is refused', async () => {
    const up = await person();
    const viewer = await person();
    await Promise.all([
      up.goto(`${server.url}photos?technique=websocket`),
      viewer.goto(`${server.url}photos?technique=short-polling`),
    ]);
    await viewer.locator('[data-testid=gallery][data-ready=true]').waitFor(WAIT);
    // A real PNG: a screenshot of the uploader's own page.
    const png = await up.screenshot({ type: 'png' });
    await up.fill('[data-testid=upload-form] input[name=nick]', 'photographer');
    await up.setInputFiles('input[name=photo]', { name: 'page.png', mimeType: 'image/png', buffer: png });
    await up.click('[data-testid=upload-form] button[type=submit]');
    const photo = viewer.locator('[data-testid=photo]', { hasText: 'photographer' }).first();
    await photo.waitFor(WAIT);
    // The thumbnail is a decoded image, not a broken one.
    await viewer.waitForFunction(
      () => {
        const img = document.querySelector<HTMLImageElement>('[data-testid=photo-thumb]');
        return img?.complete === true && img.naturalWidth > 0 && img.src.startsWith('data:image/jpeg');
      },
      null,
      WAIT,
    );
    await up.locator('[data-testid=upload-status]', { hasText: 'Shared page.png' }).waitFor(WAIT);

    await up.setInputFiles('input[name=photo]', {
      name: 'notes.png',
      mimeType: 'image/png',
      buffer: Buffer.from('just some text\n'),
    });
    await up.click('[data-testid=upload-form] button[type=submit]');
    const status = up.locator('[data-testid=upload-status]');
    await status.filter({ hasText: 'Refused (415)' }).waitFor(WAIT);
    expect(await status.textContent()).toContain("'notes.png' is text, not an image");
    expect(await viewer.locator('[data-testid=photo]').count()).toBe(1);
    await Promise.all([up.close(), viewer.close()]);
  });
});

describe('game', () => {
  it('shows another player moving', async () => {
    const mover = await person();
    const watcher = await person();
    await mover.goto(`${server.url}game?technique=websocket&nick=mover`);
    await watcher.goto(`${server.url}game?technique=long-polling&nick=watcher`);
    const player = watcher.locator('[data-testid=player][data-nick=mover]');
    await player.waitFor(WAIT);
    const x0 = Number(await player.getAttribute('data-x'));
    const key = x0 > 400 ? 'ArrowLeft' : 'ArrowRight';
    await mover.keyboard.down(key);
    await watcher.waitForFunction(
      ([from, dir]) => {
        const x = Number(
          document.querySelector('[data-testid=player][data-nick=mover]')?.getAttribute('data-x'),
        );
        return dir === 'ArrowRight' ? x > from + 60 : x < from - 60;
      },
      [x0, key] as const,
      WAIT,
    );
    await mover.keyboard.up(key);
    await Promise.all([mover.close(), watcher.close()]);
  });
});

describe('screenshots (every page, populated, checked not blank)', () => {
  const wide = { width: 1280, height: 860 };

  async function shoot(name: string, page: Page): Promise<void> {
    const png = await page.screenshot({ type: 'png' });
    expect(await checkNotBlank(browser, png), `${name}.png distinct colours`).toBeGreaterThan(64);
    await saveScreenshot(name, png);
    expect(errorsOf(page)).toEqual([]);
  }

  it('landing', async () => {
    const home = await person(wide);
    await home.goto(`${server.url}?technique=websocket`);
    await home.locator('[data-testid=clock]', { hasText: ':' }).waitFor(WAIT);
    await home.waitForFunction(
      () => document.querySelector('[data-testid=meter-rtt]')?.hasAttribute('data-value'),
      null,
      WAIT,
    );
    await shoot('landing', home);
    await home.close();
  }, 45_000);

  it('chat, wide and phone', async () => {
    const [ada, bob, rob] = [await person(wide), await person(wide), await person(wide)];
    await ada.goto(chatUrl('websocket', 'ada', 'lobby'));
    await bob.goto(chatUrl('short-polling', 'bob', 'lobby'));
    await rob.goto(chatUrl('raw-websocket', 'rob', 'lobby'));
    await seesMember(ada, 'rob');
    await seesMember(ada, 'bob');
    await say(ada, 'Hi all! I am on a WebSocket: one request, then frames.');
    await seesMessage(bob, 'ada', 'one request');
    await say(bob, 'Short polling here. I ask every second whether there is news.');
    await seesMessage(rob, 'bob', 'every second');
    await say(rob, 'Raw WebSocket, bridged into the same room. No Bayeux on my wire.');
    await seesMessage(ada, 'rob', 'No Bayeux');
    const phone = await person({ width: 390, height: 844 });
    await phone.goto(chatUrl('long-polling', 'phone', 'lobby'));
    await seesMessage(phone, 'rob', 'No Bayeux');
    await bob.fill('form input[name=message]', 'typing…');
    await bob.type('form input[name=message]', '!');
    await ada.locator('[data-testid=typing]', { hasText: 'bob is typing' }).waitFor(WAIT);
    await shoot('chat', ada);
    await shoot('chat-phone', phone);
    await Promise.all([ada.close(), bob.close(), rob.close(), phone.close()]);
  }, 60_000);

  it('whiteboard', async () => {
    const board = await person(wide);
    await board.goto(`${server.url}whiteboard?technique=websocket`);
    await board.locator('[data-testid=board][data-ready=true]').waitFor(WAIT);
    const colors = ['e4572e', '2e86ab', '43aa8b', 'f3a712'];
    for (let i = 0; i < colors.length; i++) {
      await board.click(`[data-testid=color-${colors[i]}]`);
      const pts: [number, number][] = [];
      for (let t = 0; t <= 16; t++) pts.push([0.1 + t * 0.05, 0.2 + i * 0.15 + Math.sin(t / 2.5 + i) * 0.06]);
      await draw(board, pts);
    }
    await board.waitForFunction(
      () => Number(document.querySelector('[data-testid=stroke-count]')?.textContent) >= 4,
      null,
      WAIT,
    );
    await shoot('whiteboard', board);
    await board.close();
  }, 45_000);

  it('photos', async () => {
    const gallery = await person(wide);
    await gallery.goto(`${server.url}photos?technique=long-polling`);
    await gallery.locator('[data-testid=gallery][data-ready=true]').waitFor(WAIT);
    const subject = await person({ width: 800, height: 600 });
    for (const path of [
      '',
      'chat?technique=websocket&nick=ada&room=lobby',
      'game?technique=websocket&nick=ada',
    ]) {
      await subject.goto(`${server.url}${path}`);
      await subject.waitForLoadState('networkidle').catch(() => undefined);
      const name = `${path.split('?')[0] || 'home'}.png`;
      await gallery.fill('[data-testid=upload-form] input[name=nick]', 'ada');
      await gallery.setInputFiles('input[name=photo]', {
        name,
        mimeType: 'image/png',
        buffer: await subject.screenshot(),
      });
      await gallery.click('[data-testid=upload-form] button[type=submit]');
      await gallery.locator('[data-testid=upload-status]', { hasText: `Shared ${name}` }).waitFor(WAIT);
    }
    await subject.close();
    await shoot('photos', gallery);
    await gallery.close();
  }, 60_000);

  it('game, smooth and stuttering', async () => {
    const p1 = await person(wide);
    const p2 = await person(wide);
    await p1.goto(`${server.url}game?technique=websocket&nick=ada`);
    await p2.goto(`${server.url}game?technique=short-polling&nick=bob`);
    await p1.locator('[data-testid=player][data-nick=bob]').waitFor(WAIT);
    await p2.keyboard.down('ArrowDown');
    await p1.keyboard.down('ArrowRight');
    await p2.locator('[data-testid=lesson][data-stutter=true]').waitFor(WAIT);
    await p1.locator('[data-testid=lesson][data-stutter=false]').waitFor(WAIT);
    await p1.keyboard.up('ArrowRight');
    await p2.keyboard.up('ArrowDown');
    await shoot('game', p1);
    await shoot('game-short-polling', p2);
    await Promise.all([p1.close(), p2.close()]);
  }, 45_000);
});
