// The BAYEUX_BROWSER cookie and multiple-clients advice, CORS, and close().
import { afterEach, describe, expect, it } from 'vitest';
import { browserCookie, browserIdOf } from '../src/browser-cookie.js';
import { connect, connectedClient, type Harness, post, startServer, until } from './helpers/http.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('BAYEUX_BROWSER cookie', () => {
  it('is Secure under TLS only', () => {
    expect(browserCookie('abcdefghijklmnop', true)).toBe(
      'BAYEUX_BROWSER=abcdefghijklmnop; Path=/; HttpOnly; SameSite=Lax; Secure',
    );
    expect(browserCookie('abcdefghijklmnop', false)).not.toContain('Secure');
  });

  it('reads the cookie among others and ignores malformed values', () => {
    const req = (cookie: string) => ({ headers: { cookie } }) as never;
    expect(browserIdOf(req('a=1; BAYEUX_BROWSER=abcdefghijklmnop1; b=2'))).toBe('abcdefghijklmnop1');
    expect(browserIdOf(req('BAYEUX_BROWSER=short'))).toBeUndefined();
    expect(browserIdOf(req('BAYEUX_BROWSER=<script>alert(1)</script>'))).toBeUndefined();
  });

  it('takes a value of 16 to 64 characters of A-Z a-z 0-9 _ - (each bound crossed by one), nothing else', () => {
    const req = (cookie: string) => ({ headers: { cookie } }) as never;
    const id = (value: string) => browserIdOf(req(`BAYEUX_BROWSER=${value}`));
    expect(id('a'.repeat(15))).toBeUndefined();
    expect(id('a'.repeat(16))).toBe('a'.repeat(16));
    expect(id('Z'.repeat(64))).toBe('Z'.repeat(64));
    expect(id('Z'.repeat(65))).toBeUndefined();
    expect(id('AZaz09_-AZaz09_-')).toBe('AZaz09_-AZaz09_-');
    for (const bad of ['.', '+', '/', '=', '@', '[', '`', '{', ':', '\u00e9', '\u0000']) {
      expect(id(`abcdefghijklmnop${bad}`)).toBeUndefined();
      expect(id(`${bad}abcdefghijklmnop`)).toBeUndefined();
    }
  });

  it('matches the whole cookie name only, with optional spaces around the pair (scanned in place)', () => {
    const req = (cookie: string) => ({ headers: { cookie } }) as never;
    expect(browserIdOf(req('XBAYEUX_BROWSER=abcdefghijklmnop1'))).toBeUndefined();
    expect(browserIdOf(req('BAYEUX_BROWSER2=abcdefghijklmnop1; x=1'))).toBeUndefined();
    expect(browserIdOf(req('BAYEUX_BROWSER2=zzzzzzzzzzzzzzzzz;BAYEUX_BROWSER=abcdefghijklmnop1'))).toBe(
      'abcdefghijklmnop1',
    );
    expect(browserIdOf(req('a=1;  BAYEUX_BROWSER = abcdefghijklmnop1 ;b=2'))).toBe('abcdefghijklmnop1');
    expect(browserIdOf(req('BAYEUX_BROWSER=abcdefghijklmnop1; BAYEUX_BROWSER=qqqqqqqqqqqqqqqqq'))).toBe(
      'abcdefghijklmnop1',
    );
    expect(browserIdOf(req(';;BAYEUX_BROWSER'))).toBeUndefined();
    expect(browserIdOf(req(''))).toBeUndefined();
  });

  it('keeps the cookie a browser already has', async () => {
    h = await startServer();
    const cookie = 'BAYEUX_BROWSER=abcdefghijklmnopqrst';
    const res = await post(
      h.url,
      [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }],
      {
        headers: { cookie },
      },
    );
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('maxSessionsPerBrowser 1: a second tab gets multiple-clients advice at once, and holds once the first leaves', async () => {
    h = await startServer({ timeout: 30_000, multiSessionInterval: 1500 });
    const headers = { cookie: 'BAYEUX_BROWSER=abcdefghijklmnopqrst' };
    const tab1 = await connectedClient(h.url, headers);
    const tab2 = await connectedClient(h.url, headers);
    const held = post(h.url, [connect(tab1)], { headers });
    await until(() => h!.bayeux.heldConnects === 1, 'tab1 held');
    const second = await post(h.url, [connect(tab2, 't2')], { headers });
    expect(second.messages[0]).toEqual({
      channel: '/meta/connect',
      id: 't2',
      clientId: tab2,
      successful: true,
      advice: { 'multiple-clients': true, reconnect: 'retry', interval: 1500, timeout: 30_000 },
    });
    // Tab 1 re-connecting replaces its own held connect: it is not counted against itself.
    const again = post(h.url, [connect(tab1, 'again')], { headers });
    expect((await held).messages[0]?.id).toBe('c1');
    await until(() => h!.bayeux.heldConnects === 1, 'tab1 held again');
    await post(h.url, [{ channel: '/meta/disconnect', clientId: tab1, id: 'd' }], { headers });
    await again;
    // A different browser is not limited.
    const other = await connectedClient(h.url, { cookie: 'BAYEUX_BROWSER=zzzzzzzzzzzzzzzzzzzz' });
    const otherHeld = post(h.url, [connect(other, 'o')], {
      headers: { cookie: 'BAYEUX_BROWSER=zzzzzzzzzzzzzzzzzzzz' },
    });
    const tab2Held = post(h.url, [connect(tab2, 't3')], { headers });
    await until(() => h!.bayeux.heldConnects === 2, 'both held');
    await h.close();
    h = undefined;
    await Promise.all([otherHeld, tab2Held]);
  });

  it('maxSessionsPerBrowser 2: two tabs hold, the third one is told multiple-clients', async () => {
    h = await startServer({ timeout: 30_000, maxSessionsPerBrowser: 2 });
    const headers = { cookie: 'BAYEUX_BROWSER=abcdefghijklmnopqrst' };
    const tabs = [
      await connectedClient(h.url, headers),
      await connectedClient(h.url, headers),
      await connectedClient(h.url, headers),
    ];
    const held = [
      post(h.url, [connect(tabs[0]!)], { headers }),
      post(h.url, [connect(tabs[1]!)], { headers }),
    ];
    await until(() => h!.bayeux.heldConnects === 2, 'two held');
    const third = await post(h.url, [connect(tabs[2]!)], { headers });
    expect(third.messages[0]?.advice?.['multiple-clients']).toBe(true);
    await h.close();
    h = undefined;
    await Promise.all(held);
  });
});

describe('CORS', () => {
  const hs = [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }];

  it('same-origin only by default: a foreign Origin is refused with 403 before processing', async () => {
    h = await startServer();
    const res = await post(h.url, hs, { headers: { Origin: 'http://evil.example' } });
    expect(res.status).toBe(403);
    expect(await h.engine.clientCount()).toBe(0);
    const same = await post(h.url, hs, { headers: { Origin: h.origin } });
    expect(same.status).toBe(200);
    expect(same.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allowlist: echoes the allowed Origin with credentials, refuses others', async () => {
    h = await startServer({ cors: { origins: ['http://app.example'], credentials: true } });
    const ok = await post(h.url, hs, { headers: { Origin: 'http://app.example' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('vary')).toBe('Origin');
    expect((await post(h.url, hs, { headers: { Origin: 'http://other.example' } })).status).toBe(403);
  });

  it('answers preflights for allowed origins only', async () => {
    h = await startServer({ cors: { origins: '*' } });
    const res = await fetch(h.url, {
      method: 'OPTIONS',
      headers: { Origin: 'http://x.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://x.example');
    expect(res.headers.get('access-control-allow-methods')).toBe('POST, GET, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toContain('Content-Type');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    await h.close();
    h = await startServer();
    const refused = await fetch(h.url, { method: 'OPTIONS', headers: { Origin: 'http://x.example' } });
    expect(refused.status).toBe(403);
  });
});

describe('close()', () => {
  it('answers held connects with handshake advice (own engine) and refuses new handshakes', async () => {
    h = await startServer({ timeout: 30_000 });
    const c = await connectedClient(h.url);
    const held = post(h.url, [connect(c)]);
    await until(() => h!.bayeux.heldConnects === 1, 'held');
    const closing = h.bayeux.close();
    const { messages } = await held;
    await closing;
    // The harness passes an engine, so sessions survive: reconnect is 'retry'.
    expect(messages[0]).toMatchObject({ successful: true, advice: { reconnect: 'retry' } });
    expect(h.engine.closed).toBe(false);
  });

  it('with its own engine, held connects are told to handshake again and the engine is closed', async () => {
    const { createBayeuxServer } = await import('../src/index.js');
    const { createServer } = await import('node:http');
    const bayeux = createBayeuxServer({ timeout: 30_000 });
    const http = createServer();
    bayeux.attach(http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/bayeux`;
    try {
      const c = await connectedClient(url);
      const held = post(url, [connect(c)]);
      await until(() => bayeux.heldConnects === 1, 'held');
      await bayeux.close();
      expect((await held).messages[0]).toMatchObject({
        successful: false,
        error: '402::session_unknown',
        advice: { reconnect: 'handshake', interval: 0 },
      });
    } finally {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    }
  });
});

describe('attach()', () => {
  it('passes other paths and upgrades to the listeners that were there, and gives them back on close', async () => {
    const { createServer } = await import('node:http');
    const { createBayeuxServer } = await import('../src/index.js');
    const http = createServer((_req, res) => res.end('app'));
    const bayeux = createBayeuxServer();
    bayeux.attach(http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    try {
      expect(await (await fetch(`${base}/page`)).text()).toBe('app');
      const hs = await post(`${base}/bayeux`, [
        { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] },
      ]);
      expect(hs.messages[0]?.successful).toBe(true);
      await bayeux.close();
      expect(http.listenerCount('request')).toBe(1);
      expect(await (await fetch(`${base}/bayeux`)).text()).toBe('app');
    } finally {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    }
  });
});
