import { Client } from '@pushwire/client';
import { describe, expect, it } from 'vitest';
import { demo, demoPerFile } from './helpers.js';

const fixture = demoPerFile({});

describe('pages', () => {
  it.each(['/', '/chat', '/whiteboard', '/photos', '/game'])(
    '%s is an HTML page with a strict CSP',
    async (path) => {
      const res = await fetch(`${fixture.server.url.slice(0, -1)}${path}?technique=websocket&nick=x`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await res.text();
      expect(html).toContain('<script src="/pushwire.js"');
      expect(html).toContain('data-testid="meter"');
    },
  );

  it('serves the client bundle at /pushwire.js and the page scripts', async () => {
    const client = await fetch(`${fixture.server.url}pushwire.js`);
    expect(client.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await client.text()).toMatch(/Pushwire/);
    for (const name of ['landing', 'chat', 'whiteboard', 'photos', 'game']) {
      const res = await fetch(`${fixture.server.url}assets/${name}.js`);
      expect(res.status).toBe(200);
      // The pages use the global client; none carries its own copy of it.
      expect((await res.text()).length).toBeGreaterThan(1000);
    }
  });

  it('answers unknown paths with 404 and a pointer to the demos', async () => {
    const res = await fetch(`${fixture.server.url}nope`);
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/\/chat/);
  });
});

describe('mount option', () => {
  it('serves Bayeux on another path and tells the pages where', async () => {
    const other = await demo({ mount: '/cometd' });
    try {
      const html = await (await fetch(`${other.url}chat`)).text();
      expect(html).toContain('data-bayeux="/cometd"');
      expect(other.bayeuxUrl).toBe(`${other.url}cometd`);
      const echo = new Client(other.bayeuxUrl, { transports: ['long-polling'] });
      expect(await echo.remoteCall('/service/echo', { ping: 1 })).toEqual({ ping: 1 });
      await echo.disconnect();
    } finally {
      await other.close();
    }
  });
});
