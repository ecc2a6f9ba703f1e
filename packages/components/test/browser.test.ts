// Chromium end to end (playwright-core): a page served by the App opens a raw WebSocket to a component
// route (same origin, so the OriginCheck built from httpHost lets it in) and a Bayeux client
// (the IIFE bundle at /bayeux/client.js, from the mounted server) on the same port; both meet in one
// channel through BayeuxBridge, both directions. A page from another origin is refused.

import { createBayeuxServer } from '@pushwire/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, serveStatic } from '../../../test/helpers/browser.js';
import { App, BayeuxBridge, type Connection, type HttpComponent, type HttpRequest } from '../src/index.js';

const PAGE =
  '<!doctype html><meta charset="utf-8"><title>pushwire components</title><script src="/bayeux/client.js"></script>';

class Page200 implements HttpComponent {
  readonly httpComponent = true as const;
  onOpen(_conn: Connection, request: HttpRequest): void {
    request.respond(200, PAGE, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  }
}

let browser: Browser;
let page: Page | undefined;
let app: App | undefined;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await page?.close();
  page = undefined;
  await app?.close();
  app = undefined;
});

async function start(): Promise<string> {
  const bayeux = createBayeuxServer();
  const bridge = new BayeuxBridge(bayeux);
  app = new App({ httpHost: '127.0.0.1', port: 0 });
  app
    .route('/', new Page200())
    .route('/room', {
      onOpen: async (conn: Connection) => {
        await bridge.forward(conn, '/chat/room');
        conn.send(JSON.stringify({ ready: true }));
      },
      onMessage: async (_conn: Connection, m: string | Buffer) => {
        await bridge.publish('/chat/room', { from: 'raw', text: String(m) });
      },
      onClose: (conn: Connection) => bridge.stopForwarding(conn),
    })
    .mount(bayeux);
  await app.run();
  return `http://127.0.0.1:${app.port}/`;
}

describe('Chromium: raw WebSocket and Bayeux in one page, one port', () => {
  for (const transport of ['websocket', 'long-polling'] as const) {
    it(`meet in one channel (Bayeux over ${transport})`, async () => {
      const url = await start();
      page = await browser.newPage();
      await page.goto(url);
      const result = await page.evaluate(async (transport) => {
        // biome-ignore lint/suspicious/noExplicitAny: the IIFE global has no types in the page
        const w = window as any;
        const client = new w.Pushwire.Client(`${location.origin}/bayeux`, { transports: [transport] });
        const atBayeux: unknown[] = [];
        let onBayeux: () => void = () => {};
        await client.subscribe('/chat/room', (data: unknown) => {
          atBayeux.push(data);
          onBayeux();
        });
        const ws = new WebSocket(`ws://${location.host}/room`);
        const atRaw: { data: { from: string; text: string } }[] = [];
        let onRaw: () => void = () => {};
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          if (m.ready) onRaw();
          else atRaw.push(m);
          onRaw();
        };
        await new Promise<void>((r) => {
          onRaw = r;
        });
        ws.send('from the raw socket');
        while (!atBayeux.some((d) => (d as { text: string }).text === 'from the raw socket')) {
          await new Promise<void>((r) => {
            onBayeux = r;
          });
        }
        await client.publish('/chat/room', { from: 'bayeux', text: 'from the Bayeux client' });
        while (!atRaw.some((m) => m.data.from === 'bayeux')) {
          await new Promise<void>((r) => {
            onRaw = r;
          });
        }
        const used = client.transport;
        ws.close();
        await client.disconnect();
        return { used, atBayeux, atRaw: atRaw.map((m) => m.data) };
      }, transport);
      expect(result.used).toBe(transport);
      expect(result.atBayeux).toContainEqual({ from: 'raw', text: 'from the raw socket' });
      expect(result.atRaw).toContainEqual({ from: 'bayeux', text: 'from the Bayeux client' });
    });
  }

  it('a page from another origin cannot open the raw route (403)', async () => {
    const url = await start();
    const other = await serveStatic({ '/': ['text/html', '<!doctype html><title>other</title>'] });
    try {
      page = await browser.newPage();
      // Another origin on the same machine: localhost instead of 127.0.0.1.
      await page.goto(other.url.replace('127.0.0.1', 'localhost'));
      const outcome = await page.evaluate(
        (target) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(target);
            ws.onopen = () => resolve('open');
            ws.onclose = (e) => resolve(`closed ${e.code}`);
          }),
        url.replace('http:', 'ws:') + 'room',
      );
      expect(outcome).toBe('closed 1006'); // the browser hides the 403 behind 1006
    } finally {
      await other.close();
    }
  });
});
