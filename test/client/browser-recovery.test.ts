import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type OurServer, startOurs } from '../../packages/client/test/helpers.js';
import { closePage, serveInFront, useBrowserAndBundle } from '../helpers/bayeux-page.js';

const PAGE =
  '<!doctype html><meta charset="utf-8"><title>pushwire recovery</title><script src="/client.js"></script>';

const env = useBrowserAndBundle();

async function startSite(): Promise<OurServer> {
  const server = await startOurs({ timeout: 1000, channels: { '/chat/**': { history: { size: 100 } } } });
  serveInFront(server.http, { '/': ['text/html', PAGE], '/client.js': ['text/javascript', env.bundle] });
  return server;
}

interface PageState {
  got: unknown[];
  recoveries: Array<{ recovered: boolean }>;
  clientId: string | null;
}

describe('browser client (Chromium) recovery', () => {
  let server: OurServer | undefined;
  let page: Page | undefined;
  afterEach(async () => {
    await closePage(page);
    await server?.close();
    server = page = undefined;
  });

  const state = (p: Page): Promise<PageState> =>
    p.evaluate(() => {
      // biome-ignore lint/suspicious/noExplicitAny: state the page keeps on window.
      const w = window as any;
      return { got: w.got, recoveries: w.recoveries, clientId: w.client.clientId };
    });

  it.each(['websocket', 'long-polling', 'callback-polling', 'short-polling'])(
    'recovers a lost session over %s, each message once',
    async (transport) => {
      server = await startSite();
      page = await env.browser.newPage();
      await page.goto(`http://127.0.0.1:${server.port}/`);
      await page.evaluate(
        async ({ url, transport }) => {
          // biome-ignore lint/suspicious/noExplicitAny: the IIFE global has no types inside the page.
          const w = window as any;
          const client = new w.Pushwire.Client(url, {
            transports: [transport],
            shortPollingInterval: 50,
            backoffIncrement: 50,
            backoffJitter: 0,
          });
          w.client = client;
          w.got = [];
          w.recoveries = [];
          client.on('recovery', (_channel: string, r: { recovered: boolean }) => w.recoveries.push(r));
          await client.subscribe('/chat/browser', (data: unknown) => w.got.push(data));
        },
        { url: server.url, transport },
      );
      for (let i = 1; i <= 3; i++) await server.bayeux.publish('/chat/browser', i);
      await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.length === 3);
      const { clientId } = await state(page);
      // The session expires and the connections drop; the server goes on publishing meanwhile.
      server.cut();
      await server.bayeux.engine.destroyClient(clientId as string, 'expired');
      for (let i = 4; i <= 8; i++) await server.bayeux.publish('/chat/browser', i);
      await page.waitForFunction(
        () => (window as unknown as { recoveries: unknown[] }).recoveries.length === 1,
      );
      await server.bayeux.publish('/chat/browser', 9);
      await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.length >= 9);
      const after = await state(page);
      expect(after.got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(after.recoveries).toEqual([
        { recovered: true, epoch: expect.any(String), offset: expect.any(Number) },
      ]);
      expect(after.clientId).not.toBe(clientId);
    },
  );
});
