// examples/push: an HTTP POST publishes on a Bayeux channel; raw WebSocket subscribers (the `ws` client)
// and a Bayeux client get it; bad requests get 400/401/413; MAX_CHANNELS_PER_SUBSCRIBER crossed by one.

import { Client } from 'pushwire/client';
import { afterEach, describe, expect, it } from 'vitest';
import WS from 'ws';
import { MAX_CHANNELS_PER_SUBSCRIBER, type PushServer, start } from './server.js';

let server: PushServer | undefined;
const sockets: WS[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server?.close();
  server = undefined;
});

/** A raw subscriber: every message parsed, waited for in order. */
function subscriber(url: string): Promise<{ ws: WS; next: () => Promise<Record<string, unknown>> }> {
  return new Promise((resolve) => {
    const ws = new WS(url);
    sockets.push(ws);
    const queue: Record<string, unknown>[] = [];
    const waiters: ((m: Record<string, unknown>) => void)[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as Record<string, unknown>;
      const w = waiters.shift();
      if (w) w(m);
      else queue.push(m);
    });
    const next = (): Promise<Record<string, unknown>> => {
      const m = queue.shift();
      return m !== undefined ? Promise.resolve(m) : new Promise((r) => waiters.push(r));
    };
    ws.once('open', () => resolve({ ws, next }));
  });
}

describe('examples/push', () => {
  it('a POST reaches raw WebSocket subscribers and Bayeux clients', async () => {
    server = await start(0);
    const base = `127.0.0.1:${server.port}`;
    const raw = await subscriber(`ws://${base}/push?channel=/news`);
    expect(await raw.next()).toEqual({ subscribed: '/news' });
    const wild = await subscriber(`ws://${base}/push`);
    wild.ws.send(JSON.stringify({ subscribe: '/news/**' }));
    expect(await wild.next()).toEqual({ subscribed: '/news/**' });
    const bayeux = new Client(`http://${base}/bayeux`, { transports: ['long-polling'] });
    let resolveB: (d: unknown) => void = () => {};
    const atBayeux = new Promise<unknown>((r) => {
      resolveB = r;
    });
    await bayeux.subscribe('/news', (d) => resolveB(d));

    const res = await fetch(`http://${base}/publish?channel=/news`, {
      method: 'POST',
      body: '{"title":"hello"}',
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ delivered: 2 }); // the bridge's one session + the Bayeux client
    expect(await raw.next()).toEqual({ channel: '/news', data: { title: 'hello' } });
    expect(await atBayeux).toEqual({ title: 'hello' });

    const deep = await fetch(`http://${base}/publish?channel=/news/sport`, { method: 'POST', body: '[1,2]' });
    expect(deep.status).toBe(202);
    expect(await wild.next()).toEqual({ channel: '/news/sport', data: [1, 2] });
    await bayeux.disconnect();
  });

  it('refuses bad publishes: 400 (no channel, not JSON, a wildcard), 405 (GET), 401 without the token', async () => {
    server = await start(0, { token: 's3cret' });
    const base = `http://127.0.0.1:${server.port}/publish`;
    const auth = { Authorization: 'Bearer s3cret' };
    expect((await fetch(`${base}?channel=/a`, { method: 'POST', body: '1' })).status).toBe(401);
    expect((await fetch(base, { method: 'POST', body: '1', headers: auth })).status).toBe(400);
    expect((await fetch(`${base}?channel=/a`, { method: 'POST', body: '{nope', headers: auth })).status).toBe(
      400,
    );
    expect((await fetch(`${base}?channel=/a/*`, { method: 'POST', body: '1', headers: auth })).status).toBe(
      400,
    );
    expect((await fetch(`${base}?channel=/a`, { headers: auth })).status).toBe(405);
    expect((await fetch(`${base}?channel=/a`, { method: 'POST', body: '1', headers: auth })).status).toBe(
      202,
    );
  });

  it(`a subscriber follows ${MAX_CHANNELS_PER_SUBSCRIBER} channels; one more is refused`, async () => {
    server = await start(0);
    const sub = await subscriber(`ws://127.0.0.1:${server.port}/push`);
    for (let i = 0; i < MAX_CHANNELS_PER_SUBSCRIBER; i++) {
      sub.ws.send(JSON.stringify({ subscribe: `/c/${i}` }));
      expect(await sub.next()).toEqual({ subscribed: `/c/${i}` });
    }
    sub.ws.send(JSON.stringify({ subscribe: '/c/over' }));
    expect(await sub.next()).toEqual({
      error: `at most ${MAX_CHANNELS_PER_SUBSCRIBER} channels per connection`,
    });
    sub.ws.send(JSON.stringify({ subscribe: '/meta/connect' }));
    sub.ws.send('not json');
    expect((await sub.next()).error).toMatch(/at most|cannot subscribe/);
    expect((await sub.next()).error).toMatch(/subscribe/);
  });
});
