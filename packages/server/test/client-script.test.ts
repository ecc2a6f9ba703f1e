// GET <mount>/client.js serves the browser client (issue 4: "the server serves it at <mount>/client.js").
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BayeuxServer,
  type BayeuxServerOptions,
  ClientScriptMissingError,
  createBayeuxServer,
} from '../src/index.js';

let http: Server | undefined;
let close: (() => Promise<void>) | undefined;
let current: BayeuxServer | undefined;
const bayeuxOf = (): BayeuxServer | undefined => current;

afterEach(async () => {
  await close?.();
  close = undefined;
  http = undefined;
});

async function start(options: BayeuxServerOptions = {}): Promise<string> {
  const bayeux = createBayeuxServer({ timeout: 1000, ...options });
  current = bayeux;
  http = createServer();
  bayeux.attach(http);
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  const server = http;
  close = async () => {
    await bayeux.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

/** Bayeux still answers beside the script route: a long-polling handshake succeeds. */
async function expectBayeuxServed(base: string): Promise<void> {
  const hs = await fetch(`${base}/bayeux`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] },
    ]),
  });
  expect((await hs.json())[0]).toMatchObject({ successful: true });
}

describe('<mount>/client.js', () => {
  it('serves the IIFE bundle that defines the Pushwire global with its Client', async () => {
    const base = await start();
    const res = await fetch(`${base}/bayeux/client.js?v=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const body = await res.text();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(body));
    // Evaluated as a browser would: the script alone defines `Pushwire.Client`, with no Node built-ins.
    const sandbox: Record<string, unknown> = {};
    runInNewContext(`${body}\n;this.out = typeof Pushwire.Client;`, sandbox);
    expect(sandbox.out).toBe('function');
  }, 30_000);

  it('answers HEAD with the headers and no body, and follows the mount', async () => {
    const base = await start({ mount: '/cometd' });
    const head = await fetch(`${base}/cometd/client.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
    expect(await head.text()).toBe('');
    // The old mount is nobody's: the app's default 404 answers it.
    expect((await fetch(`${base}/bayeux/client.js`)).status).toBe(404);
  }, 30_000);

  it('serves a supplied script, and a POST to the same path is still Bayeux', async () => {
    const base = await start({ clientScript: async () => 'window.custom = 1;' });
    expect(await (await fetch(`${base}/bayeux/client.js`)).text()).toBe('window.custom = 1;');
    const post = await fetch(`${base}/bayeux/client.js`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] },
      ]),
    });
    expect(post.status).toBe(200);
    expect((await post.json())[0]).toMatchObject({ channel: '/meta/handshake', successful: true });
  });

  it('with clientScript: false the path is an ordinary Bayeux GET (callback-polling needs message=)', async () => {
    const base = await start({ clientScript: false });
    const res = await fetch(`${base}/bayeux/client.js`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).not.toMatch(/javascript/);
  });

  it('answers 500 with a reason when the script cannot be produced, and keeps serving Bayeux', async () => {
    const base = await start({
      clientScript: async () => {
        throw new Error('bundle build failed');
      },
    });
    const res = await fetch(`${base}/bayeux/client.js`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('client script unavailable\n');
    await expectBayeuxServed(base);
  });
});

describe('the prebuilt bundle', () => {
  it('is the file npm run build writes (resolved through @pushwire/client/browser-iife), served as is', async () => {
    const { createRequire } = await import('node:module');
    const { readFile } = await import('node:fs/promises');
    const file = createRequire(import.meta.url).resolve('@pushwire/client/browser-iife');
    expect(file).toMatch(/packages\/client\/dist\/pushwire-client\.iife\.js$/);
    const base = await start();
    const res = await fetch(`${base}/bayeux/client.js`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(await readFile(file, 'utf8'));
  });

  it('a missing bundle is a 404 with the reason, reported on the error event; Bayeux keeps working', async () => {
    const errors: unknown[] = [];
    const base = await start({
      clientScript: async () => {
        throw new ClientScriptMissingError(
          'pushwire: the browser client bundle x.js is missing: run `npm run build`',
        );
      },
    });
    bayeuxOf()?.on('error', ({ error }) => errors.push(error));
    const res = await fetch(`${base}/bayeux/client.js`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('client script not built (run `npm run build` on the server)\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ClientScriptMissingError);
    await expectBayeuxServed(base);
  });
});
