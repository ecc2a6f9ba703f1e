// The demo server over real sockets: pages, the client script, uploads (limits crossed by one, types by
// their bytes), chat across Bayeux and the raw WebSocket bridge, and the security policy.
import { request } from 'node:http';
import { Client } from '@pushwire/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoServer } from '../src/server/server.js';
import type { ChatMessage, ChatWelcome, Photo, PresenceEvent } from '../src/shared/protocol.js';
import { bayeuxClient, demo, rawChatter, upgradeStatus, waitFor } from './helpers.js';

const PNG_HEAD = Buffer.from('89504e470d0a1a0a', 'hex');
const MAX_PHOTO = 4096;
const MAX_THUMB = 1024;

let server: DemoServer;
const clients: Client[] = [];

beforeAll(async () => {
  server = await demo({
    uploadRatePer10s: 1000,
    maxPhotoBytes: MAX_PHOTO,
    maxThumbnailBytes: MAX_THUMB,
    maxRawFrameBytes: 256,
    maxRawChatters: 3,
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.disconnect()));
  await server.close();
});

function client(
  transport: 'long-polling' | 'websocket' | 'callback-polling' | 'short-polling' = 'long-polling',
) {
  const c = bayeuxClient(server, transport);
  clients.push(c);
  return c;
}

function png(size: number): Buffer {
  return Buffer.concat([PNG_HEAD, Buffer.alloc(size - PNG_HEAD.length, 7)]);
}

async function post(path: string, body: Uint8Array | FormData, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url.slice(0, -1)}${path}`, {
    method: 'POST',
    body: body instanceof FormData ? body : new Uint8Array(body),
    headers,
  });
  return { status: res.status, body: (await res.json()) as { error?: string; photo?: Photo } };
}

describe('pages', () => {
  it.each(['/', '/chat', '/whiteboard', '/photos', '/game'])(
    '%s is an HTML page with a strict CSP',
    async (path) => {
      const res = await fetch(`${server.url.slice(0, -1)}${path}?technique=websocket&nick=x`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await res.text();
      expect(html).toContain('<script src="/pushwire.js"');
      expect(html).toContain('data-testid="meter"');
    },
  );

  it('serves the client bundle at /pushwire.js and the page scripts', async () => {
    const client = await fetch(`${server.url}pushwire.js`);
    expect(client.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await client.text()).toMatch(/Pushwire/);
    for (const name of ['landing', 'chat', 'whiteboard', 'photos', 'game']) {
      const res = await fetch(`${server.url}assets/${name}.js`);
      expect(res.status).toBe(200);
      // The pages use the global client; none carries its own copy of it.
      expect((await res.text()).length).toBeGreaterThan(1000);
    }
  });

  it('answers unknown paths with 404 and a pointer to the demos', async () => {
    const res = await fetch(`${server.url}nope`);
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/\/chat/);
  });
});

describe('photo upload', () => {
  it('maxPhotoBytes: exactly the limit is accepted, one byte more is 413', async () => {
    const ok = await post('/api/photos?nick=ann&name=a.png', png(MAX_PHOTO));
    expect(ok.status).toBe(201);
    expect(ok.body.photo).toMatchObject({ nick: 'ann', name: 'a.png', type: 'image/png', size: MAX_PHOTO });
    const over = await post('/api/photos?nick=ann', png(MAX_PHOTO + 1));
    expect(over.status).toBe(413);
    expect(over.body.error).toMatch(/larger than 4096 bytes/);
  });

  it('a body longer than its chunked stream claims is cut at the limit (no Content-Length)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}api/photos`, {
        method: 'POST',
        headers: { 'Transfer-Encoding': 'chunked' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(png(MAX_PHOTO));
      req.end(Buffer.alloc(1));
    });
    expect(status).toBe(413);
  });

  it('a text file named .png is refused with 415 and says why', async () => {
    const form = new FormData();
    form.set('photo', new Blob(['I am text, not a picture\n'], { type: 'image/png' }), 'cat.png');
    const res = await post('/api/photos', form);
    expect(res.status).toBe(415);
    expect(res.body.error).toBe(
      "'cat.png' is text, not an image: only PNG, JPEG, GIF and WebP images are accepted (the type is read from the file itself, not from its name)",
    );
  });

  it('pushes a multipart upload to viewers with its thumbnail, keeps it for late joiners, and serves it sandboxed', async () => {
    const viewer = client('websocket');
    const got: Photo[] = [];
    await viewer.subscribe('/photos/new', (p) => got.push(p as Photo));
    const jpeg = Buffer.concat([Buffer.from('ffd8ffe000104a464946', 'hex'), Buffer.alloc(500, 1)]);
    const form = new FormData();
    form.set('photo', new Blob([new Uint8Array(png(3000))]), 'big.png');
    form.set('thumbnail', new Blob([new Uint8Array(jpeg)]), 'thumb.jpg');
    form.set('nick', '<img src=x onerror=alert(1)>');
    const res = await post('/api/photos', form);
    expect(res.status).toBe(201);
    const pushed = await waitFor(() => got.find((p) => p.id === res.body.photo?.id), 'the pushed photo');
    expect(pushed.nick).toBe('<img src=x onerror=alert(1)>');
    expect(pushed.thumbnail).toBe(`data:image/jpeg;base64,${jpeg.toString('base64')}`);
    const { photos } = await client().remoteCall<{ photos: Photo[] }>('/service/photos/recent', {});
    expect(photos.map((p) => p.id)).toContain(pushed.id);
    const file = await fetch(`${server.url.slice(0, -1)}${pushed.url}`);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await file.arrayBuffer()).equals(png(3000))).toBe(true);
  });

  it('maxThumbnailBytes: a thumbnail one byte over is dropped (the photo is kept); a non-image one too', async () => {
    const thumbAt = async (thumb: Buffer) => {
      const form = new FormData();
      form.set('photo', new Blob([new Uint8Array(png(2000))]), 'p.png');
      form.set('thumbnail', new Blob([new Uint8Array(thumb)]), 't.png');
      const res = await post('/api/photos', form);
      expect(res.status).toBe(201);
      return res.body.photo?.thumbnail;
    };
    expect(await thumbAt(png(MAX_THUMB))).toMatch(/^data:image\/png;base64,/);
    expect(await thumbAt(png(MAX_THUMB + 1))).toBeNull();
    expect(await thumbAt(Buffer.from('<svg onload=alert(1)>'))).toBeNull();
  });

  it('uploadRatePer10s crossed by one is 429, per client address', async () => {
    const limited = await demo({ uploadRatePer10s: 2 });
    try {
      const up = () =>
        fetch(`${limited.url}api/photos?nick=a`, { method: 'POST', body: new Uint8Array(png(100)) });
      expect((await up()).status).toBe(201);
      expect((await up()).status).toBe(201);
      const third = await up();
      expect(third.status).toBe(429);
      expect(await third.json()).toEqual({ error: 'slow down: at most 2 uploads in 10 seconds' });
      expect(limited.state.photos.size).toBe(2);
    } finally {
      await limited.close();
    }
  });

  it('refuses a GET on the upload path and unknown photos', async () => {
    expect((await fetch(`${server.url}api/photos`)).status).toBe(405);
    expect((await fetch(`${server.url}photos/nope`)).status).toBe(404);
  });
});

describe('chat across techniques', () => {
  it('a Bayeux chatter and a raw WebSocket chatter see each other, their messages and presence', async () => {
    const ann = client('long-polling');
    const annSaw: ChatMessage[] = [];
    const annPresence: PresenceEvent[] = [];
    await Promise.all([
      ann.subscribe('/chat/mixed/messages', (m) => annSaw.push(m as ChatMessage)),
      ann.subscribe('/chat/mixed/presence', (p) => annPresence.push(p as PresenceEvent)),
    ]);
    const welcome = await ann.remoteCall<ChatWelcome>('/service/chat/join', {
      room: 'mixed',
      nick: 'ann',
      technique: 'long-polling',
    });
    expect(welcome.members).toEqual([{ nick: 'ann', technique: 'long-polling' }]);

    const raw = rawChatter(server, 'room=mixed&nick=rob');
    const rawWelcome = await raw.next('welcome');
    expect(rawWelcome.members.map((m) => m.nick)).toEqual(['ann', 'rob']);
    await waitFor(() => annPresence.find((p) => p.nick === 'rob' && p.event === 'join'), 'rob joining');

    await ann.remoteCall('/service/chat/send', { room: 'mixed', text: 'hello rob' });
    const toRaw = await raw.next('message', (m) => m.text === 'hello rob');
    expect(toRaw).toMatchObject({ nick: 'ann', technique: 'long-polling' });

    raw.ws.send(JSON.stringify({ type: 'message', text: 'hi ann' }));
    const toAnn = await waitFor(() => annSaw.find((m) => m.text === 'hi ann'), 'the raw message');
    expect(toAnn).toMatchObject({ nick: 'rob', technique: 'raw-websocket' });

    // A late joiner gets both in the recent messages.
    const late = await client().remoteCall<ChatWelcome>('/service/chat/join', {
      room: 'mixed',
      nick: 'late',
    });
    expect(late.recent.map((m) => m.text)).toEqual(['hello rob', 'hi ann']);

    raw.ws.close();
    await waitFor(() => annPresence.find((p) => p.nick === 'rob' && p.event === 'leave'), 'rob leaving');
  });

  it('a session that ends leaves its room (presence updates)', async () => {
    const watcher = client();
    const seen: PresenceEvent[] = [];
    await watcher.subscribe('/chat/bye/presence', (p) => seen.push(p as PresenceEvent));
    const leaver = bayeuxClient(server);
    await leaver.remoteCall('/service/chat/join', { room: 'bye', nick: 'leaver' });
    await waitFor(() => seen.find((p) => p.event === 'join'), 'the join');
    await leaver.disconnect();
    const left = await waitFor(() => seen.find((p) => p.event === 'leave'), 'the leave');
    expect(left).toEqual({ event: 'leave', nick: 'leaver', members: [] });
  });

  it('clients cannot publish to broadcast channels: only the server speaks there', async () => {
    const mallory = client();
    await expect(
      mallory.publish('/chat/mixed/messages', { nick: 'ann', text: 'forged' }),
    ).rejects.toMatchObject({
      reply: { error: '403:denied_by_security_policy:publish_denied' },
    });
    for (const channel of [
      '/photos/new',
      '/whiteboard/strokes',
      '/game/state',
      '/clock',
      '/chat/x/presence',
    ]) {
      await expect(mallory.publish(channel, { id: 'x' })).rejects.toMatchObject({
        reply: { error: '403:denied_by_security_policy:publish_denied' },
      });
    }
    // Other channels are plain Bayeux (the README's client example against `npm start`).
    const other = client('websocket');
    const got: unknown[] = [];
    await other.subscribe('/chat/*', (d) => got.push(d));
    await mallory.publish('/chat/lobby', { text: 'hi' });
    await waitFor(() => (got.length === 1 ? true : undefined), 'the plain publish');
    expect(got).toEqual([{ text: 'hi' }]);
  });

  it('refusals a person can act on come back as the service failure message', async () => {
    const c = client();
    await expect(c.remoteCall('/service/chat/send', { room: 'mixed', text: 'hi' })).rejects.toMatchObject({
      reply: { data: { message: "join the room 'mixed' before talking in it" } },
    });
    await expect(c.remoteCall('/service/chat/join', { room: 'Not A Room', nick: 'x' })).rejects.toMatchObject(
      {
        reply: { data: { message: 'a room name is 1-24 lower-case letters, digits or dashes' } },
      },
    );
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

describe('raw WebSocket limits', () => {
  it('maxRawFrameBytes: a frame at the limit is read, one byte more closes with 1009', async () => {
    const raw = rawChatter(server, 'room=limits&nick=big');
    await raw.next('welcome');
    const frame = (n: number) => {
      const prefix = '{"type":"message","text":"';
      const suffix = '"}';
      return prefix + 'x'.repeat(n - prefix.length - suffix.length) + suffix;
    };
    raw.ws.send(frame(256));
    // 256 bytes fits: it is read, and refused only for its text length (maxMessageLength is 500: accepted).
    await raw.next('message', (m) => m.nick === 'big');
    raw.ws.send(frame(257));
    expect((await raw.closed).code).toBe(1009);
  });

  it('bad frames get an error frame, the socket stays open', async () => {
    const raw = rawChatter(server, 'room=limits&nick=bad');
    await raw.next('welcome');
    raw.ws.send('not json');
    expect((await raw.next('error')).message).toMatch(/JSON text/);
    raw.ws.send(JSON.stringify({ type: 'shout' }));
    await waitFor(
      () => (raw.frames.filter((f) => f.type === 'error').length === 2 ? true : undefined),
      'second error',
    );
    raw.ws.send(JSON.stringify({ type: 'echo', sent: 42 }));
    expect(await raw.next('echo')).toEqual({ type: 'echo', sent: 42 });
    raw.ws.close();
  });

  it('a refused join closes with 1008 and the reason', async () => {
    const raw = rawChatter(server, 'room=limits&nick=');
    expect(await raw.closed).toEqual({ code: 1008, reason: 'a nickname is 1-32 characters' });
  });

  it('another site cannot open the raw chat (Origin checked), the Bayeux mount neither', async () => {
    expect(await upgradeStatus(server, '/ws/chat?room=x&nick=y', { Origin: 'http://evil.example' })).toBe(
      403,
    );
    expect(await upgradeStatus(server, '/bayeux', { Origin: 'http://evil.example' })).toBe(403);
    // Any other path: the component router's 404.
    expect(await upgradeStatus(server, '/elsewhere')).toBe(404);
  });

  it('maxRawChatters crossed by one is 503', async () => {
    const open = [0, 1, 2].map((i) => rawChatter(server, `room=full&nick=n${i}`));
    await Promise.all(open.map((r) => r.next('welcome')));
    expect(await upgradeStatus(server, '/ws/chat?room=full&nick=n3')).toBe(503);
    for (const r of open) r.ws.close();
    await Promise.all(open.map((r) => r.closed));
    await waitFor(
      () => (server.state.chat.members('full').length === 0 ? true : undefined),
      'the room to empty',
    );
    const again = rawChatter(server, 'room=full&nick=n4');
    await again.next('welcome');
    again.ws.close();
  });
});

describe('whiteboard and game services', () => {
  it('a stroke is checked, broadcast, and in the state a late joiner fetches; clear empties it for everyone', async () => {
    const a = client('websocket');
    const seen: unknown[] = [];
    let cleared = 0;
    await Promise.all([
      a.subscribe('/whiteboard/strokes', (s) => seen.push(s)),
      a.subscribe('/whiteboard/cleared', () => cleared++),
    ]);
    const stroke = { id: 's1', color: '#2e86ab', width: 8, points: [0.1, 0.1, 0.2, 0.25] };
    await a.remoteCall('/service/whiteboard/stroke', stroke);
    await waitFor(() => (seen.length === 1 ? true : undefined), 'the stroke');
    expect(seen[0]).toEqual(stroke);
    const late = client();
    expect(await late.remoteCall('/service/whiteboard/state', {})).toEqual({ strokes: [stroke] });
    await expect(
      a.remoteCall('/service/whiteboard/stroke', { ...stroke, color: 'url(x)' }),
    ).rejects.toMatchObject({
      reply: { data: { message: expect.stringMatching(/colour must be one of/) } },
    });
    await late.remoteCall('/service/whiteboard/clear', {});
    await waitFor(() => (cleared === 1 ? true : undefined), 'the clear');
    expect(await late.remoteCall('/service/whiteboard/state', {})).toEqual({ strokes: [] });
  });

  it('a player steers and /game/state shows it moving; disconnecting leaves the game', async () => {
    const p = client('websocket');
    const states: { players: { id: string; x: number }[] }[] = [];
    await p.subscribe('/game/state', (s) => states.push(s as never));
    const { id } = await p.remoteCall<{ id: string }>('/service/game/join', { nick: 'runner' });
    await p.remoteCall('/service/game/input', { dx: -1, dy: 0 });
    const first = await waitFor(() => states.at(-1)?.players.find((x) => x.id === id), 'a state');
    await waitFor(
      () =>
        states.at(-1)?.players.find((x) => x.id === id && (x.x < first.x || x.x <= 16)) ? true : undefined,
      'the player moving left',
    );
    await p.disconnect();
    await waitFor(() => (server.state.game.playerCount === 0 ? true : undefined), 'the player to leave');
  });
});
