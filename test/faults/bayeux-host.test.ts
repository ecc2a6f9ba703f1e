// Issue 8 item 8: DNS rebinding. A page on rebind.evil.example whose name is made to resolve to 127.0.0.1
// sends `Host: rebind.evil.example` with a matching Origin, which passed the same-origin rule on POST and on
// the websocket upgrade. A server reached on a loopback address now serves only loopback names, IP literals
// and `allowedHosts` (403 otherwise, on every transport), and same-origin compares the scheme too.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBayeuxServer } from '@pushwire/server';
import { chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH } from '../helpers/browser.js';
import { type BayeuxHarness, startBayeux } from './bayeux-support.js';
import { HANDSHAKE, jsonpGet, postMessages } from './http-support.js';
import { rawSocket, readAll, upgradeRequest } from './support.js';

let h: BayeuxHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The status line an upgrade with these Host/Origin headers gets. */
async function upgradeStatus(port: number, host: string, origin: string): Promise<string> {
  const s = await rawSocket(port);
  const all = readAll(s, 2000).catch(() => Buffer.alloc(0));
  s.write(upgradeRequest('/bayeux', `Origin: ${origin}\r\n`).replace('Host: 127.0.0.1', `Host: ${host}`));
  // A 101 keeps the socket open: read the first line, then hang up.
  const first = await new Promise<string>((resolve) => {
    let head = '';
    s.on('data', (c: Buffer) => {
      head += c.toString('latin1');
      if (head.includes('\r\n')) resolve(head.slice(0, head.indexOf('\r\n')));
    });
  });
  s.destroy();
  await all;
  return first;
}

describe('Host header (DNS rebinding)', () => {
  it('a rebound name is refused with 403 on long-polling, callback-polling and the upgrade', async () => {
    h = await startBayeux();
    let errors = 0;
    h.bayeux.on('error', () => errors++);
    const evil = `rebind.evil.example:${h.port}`;
    const headers = { Host: evil, Origin: `http://${evil}` };
    const post = await postMessages(h.port, [HANDSHAKE], { headers });
    expect(post.status).toBe(403);
    expect(post.text).toBe('host not allowed (see the allowedHosts option)\n');
    expect((await jsonpGet(h.port, [HANDSHAKE], { headers: { Host: evil } })).status).toBe(403);
    expect(await upgradeStatus(h.port, evil, `http://${evil}`)).toBe('HTTP/1.1 403 Forbidden');
    expect(await h.bayeux.engine.clientCount()).toBe(0);
    expect(h.bayeux.stats.host).toBe(3);
    expect(errors).toBe(0);
  });

  it('loopback names and IP literals pass (what browsers, CometD and Faye send on loopback)', async () => {
    h = await startBayeux();
    for (const host of ['127.0.0.1', 'localhost', 'app.localhost', '[::1]', 'LOCALHOST', '10.1.2.3']) {
      const hostPort = `${host}:${h.port}`;
      const headers = { Host: hostPort, Origin: `http://${hostPort}` };
      const post = await postMessages(h.port, [HANDSHAKE], { headers });
      expect([host, post.status, post.messages[0]?.successful]).toEqual([host, 200, true]);
      expect(await upgradeStatus(h.port, hostPort, `http://${hostPort}`)).toBe(
        'HTTP/1.1 101 Switching Protocols',
      );
    }
  });

  it('allowedHosts: listed names and .suffix entries pass; all disables the guard', async () => {
    h = await startBayeux({ allowedHosts: ['chat.example', '.corp.example'] });
    const status = async (host: string): Promise<number> =>
      (await postMessages(h!.port, [HANDSHAKE], { headers: { Host: `${host}:${h!.port}` } })).status;
    expect(await status('chat.example')).toBe(200);
    expect(await status('corp.example')).toBe(200);
    expect(await status('a.b.corp.example')).toBe(200);
    expect(await status('localhost')).toBe(200);
    expect(await status('evilcorp.example')).toBe(403);
    expect(await status('chat.example.evil')).toBe(403);
    await h.close();
    h = await startBayeux({ allowedHosts: 'all' });
    expect(await status('anything.example')).toBe(200);
  });

  it('same origin compares the scheme: an https Origin is not the origin of a plain-HTTP request', async () => {
    h = await startBayeux();
    const host = `127.0.0.1:${h.port}`;
    const post = (headers: Record<string, string>) => postMessages(h!.port, [HANDSHAKE], { headers });
    expect((await post({ Origin: `http://${host}` })).status).toBe(200);
    expect((await post({ Origin: `https://${host}` })).status).toBe(403);
    // Behind a TLS-terminating proxy the scheme is the proxy's (X-Forwarded-Proto).
    expect((await post({ Origin: `https://${host}`, 'X-Forwarded-Proto': 'https' })).status).toBe(200);
    expect((await post({ Origin: `http://${host}`, 'X-Forwarded-Proto': 'https' })).status).toBe(403);
    expect(await upgradeStatus(h.port, host, `https://${host}`)).toBe('HTTP/1.1 403 Forbidden');
  });
});

describe('DNS rebinding in Chromium', () => {
  it('a page on a name that resolves to 127.0.0.1 cannot use the endpoint; the same page on localhost can', async () => {
    // The page is served by the app beside the mount, whatever Host it is asked for (as an app would).
    const page = `<!doctype html><title>rebind</title><script>
      window.result = (async () => {
        const hs = [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: 'h' }];
        const r = await fetch('/bayeux', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(hs) });
        const ws = await new Promise((resolve) => {
          const s = new WebSocket('ws://' + location.host + '/bayeux');
          s.onopen = () => { s.close(); resolve('open'); };
          s.onerror = () => resolve('error');
        });
        return { status: r.status, text: await r.text(), ws };
      })();
    </script>`;
    const bayeux = createBayeuxServer();
    const http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
    bayeux.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    // The attacker's DNS answers 127.0.0.1 for its own name: the browser thinks it is talking to that site.
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-background-networking',
        '--host-resolver-rules=MAP rebind.evil.example 127.0.0.1',
      ],
    });
    try {
      const run = async (url: string) => {
        const p = await browser.newPage();
        await p.goto(url);
        const result = await p.evaluate(() => (window as unknown as { result: Promise<unknown> }).result);
        await p.close();
        return result as { status: number; text: string; ws: string };
      };
      const evil = await run(`http://rebind.evil.example:${port}/`);
      expect(evil).toEqual({
        status: 403,
        text: 'host not allowed (see the allowedHosts option)\n',
        ws: 'error',
      });
      expect(await bayeux.engine.clientCount()).toBe(0);
      expect(bayeux.stats.host).toBe(2);
      const ok = await run(`http://localhost:${port}/`);
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.text)[0]).toMatchObject({ successful: true });
      expect(ok.ws).toBe('open');
    } finally {
      await browser.close();
      await bayeux.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }, 30_000);
});
