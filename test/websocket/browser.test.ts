// Chromium's own WebSocket (a third, independent implementation) against our server: text and binary both
// ways, permessage-deflate negotiated (the browser always offers it), the `chat` subprotocol, large
// compressed messages, and close codes in both directions. The ws server runs the same checks as a baseline.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type StaticSite, serveStatic } from '../helpers/browser.js';
import { type EchoTarget, implementations, loadPushwire, type PwSocket } from './support/implementations.js';

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

describe('Chromium WebSocket against pushwire, server-driven', () => {
  it('receives a broadcast (text and binary) and a server-initiated close 4001 with its reason, cleanly', async () => {
    const { WebSocketServer } = await loadPushwire();
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
    await new Promise<void>((resolve) => wss.on('listening', () => resolve()));
    const addr = wss.address();
    if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
    const connected = new Promise<PwSocket>((resolve) => wss.on('connection', (s) => resolve(s as PwSocket)));
    const serverClosed = new Promise<number>((resolve) =>
      connected.then((s) => s.on('close', (code) => resolve(code as number))),
    );
    try {
      const browserSide = page.evaluate(async (url) => {
        const ws = new WebSocket(url);
        ws.binaryType = 'arraybuffer';
        const got: Array<string | number[]> = [];
        ws.onmessage = (ev) =>
          got.push(typeof ev.data === 'string' ? ev.data : Array.from(new Uint8Array(ev.data)));
        const ev = await new Promise<CloseEvent>((resolve) => (ws.onclose = resolve));
        return { got, code: ev.code, reason: ev.reason, wasClean: ev.wasClean, extensions: ws.extensions };
      }, `ws://127.0.0.1:${addr.port}/`);
      const server = await connected;
      const broadcast = (wss as unknown as { broadcast(data: string | Buffer): void }).broadcast.bind(wss);
      broadcast('to every client');
      broadcast(Buffer.from([7, 8, 9]));
      server.close(4001, 'server bye');
      expect(await browserSide).toEqual({
        got: ['to every client', [7, 8, 9]],
        code: 4001,
        reason: 'server bye',
        wasClean: true,
        extensions: expect.stringContaining('permessage-deflate'),
      });
      expect(await serverClosed).toBe(4001);
    } finally {
      for (const c of wss.clients) c.terminate();
      await wss.close();
    }
  });
});
