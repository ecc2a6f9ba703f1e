// Chromium's own WebSocket (a third, independent implementation) against our server: text and binary both
// ways, permessage-deflate negotiated (the browser always offers it), the `chat` subprotocol, large
// compressed messages, and close codes in both directions. The ws server runs the same checks as a baseline.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type StaticSite, serveStatic } from '../helpers/browser.js';
import { type EchoTarget, implementations } from './support/implementations.js';

let browser: Browser;
let site: StaticSite;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  site = await serveStatic({ '/': ['text/html', '<!doctype html><title>pushwire ws test</title>'] });
  page = await browser.newPage();
  await page.goto(site.url);
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe.each(implementations)('Chromium WebSocket against the $name server', (impl) => {
  let target: EchoTarget;
  beforeAll(async () => {
    target = await impl.startEchoServer({ perMessageDeflate: true, chat: true });
  });
  afterAll(() => target.close());

  it('negotiates chat and permessage-deflate, echoes text and binary', async () => {
    const result = await page.evaluate(async (url) => {
      const ws = new WebSocket(url, ['superchat', 'chat']);
      ws.binaryType = 'arraybuffer';
      const inbox: Array<string | ArrayBuffer> = [];
      let wake: () => void = () => {};
      ws.onmessage = (ev) => {
        inbox.push(ev.data as string | ArrayBuffer);
        wake();
      };
      const next = async (): Promise<string | ArrayBuffer> => {
        while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
        return inbox.shift() as string | ArrayBuffer;
      };
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error('WebSocket error before open'));
      });
      ws.send('héllo, κόσμε 𝄞');
      const text = await next();
      ws.send(new Uint8Array([0, 1, 2, 253, 254, 255]));
      const bin = await next();
      const big = 'pushwire '.repeat(200_000);
      ws.send(big);
      const bigEcho = await next();
      ws.close(1000);
      return {
        protocol: ws.protocol,
        extensions: ws.extensions,
        text,
        bin: Array.from(new Uint8Array(bin as ArrayBuffer)),
        binIsBuffer: bin instanceof ArrayBuffer,
        bigOk: bigEcho === big,
      };
    }, target.url);
    expect(result).toEqual({
      protocol: 'chat',
      extensions: expect.stringContaining('permessage-deflate'),
      text: 'héllo, κόσμε 𝄞',
      bin: [0, 1, 2, 253, 254, 255],
      binIsBuffer: true,
      bigOk: true,
    });
  });

  it('close from the browser with 4000 and a reason: clean close, code echoed', async () => {
    const event = await page.evaluate(async (url) => {
      const ws = new WebSocket(url, ['chat']);
      await new Promise((resolve) => (ws.onopen = resolve));
      const closed = new Promise<CloseEvent>((resolve) => (ws.onclose = resolve));
      ws.close(4000, 'bye from chromium');
      const ev = await closed;
      return { code: ev.code, wasClean: ev.wasClean };
    }, target.url);
    expect(event).toEqual({ code: 4000, wasClean: true });
  });
});
