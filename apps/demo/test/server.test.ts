// The demo server over real sockets: pages, the client script, uploads (limits crossed by one, types by
// their bytes), chat across Bayeux and the raw WebSocket bridge, and the security policy.
import { request } from 'node:http';
import { Client } from '@pushwire/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoServer } from '../src/server/server.js';
import {
  type ChatMessage,
  type ChatWelcome,
  type Photo,
  type PresenceEvent,
  presenceEvent,
  type Stroke,
} from '../src/shared/protocol.js';
import { bayeuxClient, chatClient, demo, eventually, rawChatter, upgradeStatus, waitFor } from './helpers.js';

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

describe("chat across techniques, on the hub's history and presence", () => {
  function chatter(nick: string, transport: 'long-polling' | 'websocket' = 'long-polling') {
    const c = chatClient(server, nick, transport);
    clients.push(c);
    return c;
  }

  /** Subscribes to a room's presence events and messages (joining it), then asks for the welcome. */
  async function join(c: Client, room: string) {
    const messages: ChatMessage[] = [];
    const presence: PresenceEvent[] = [];
    await c.subscribe(`/presence/chat/messages/${room}`, (d) => {
      const e = presenceEvent(d);
      if (e) presence.push(e);
    });
    await c.subscribe(`/chat/messages/${room}`, (m) => messages.push(m as ChatMessage));
    const welcome = await c.remoteCall<ChatWelcome>('/service/chat/join', { room });
    return { messages, presence, welcome };
  }

  it('a Bayeux chatter and a raw WebSocket chatter see each other, their messages and presence', async () => {
    const ann = chatter('ann');
    const { messages: annSaw, presence: annPresence, welcome } = await join(ann, 'mixed');
    expect(welcome.members.map(({ nick, technique }) => ({ nick, technique }))).toEqual([
      { nick: 'ann', technique: 'long-polling' },
    ]);
    expect(welcome.count).toBe(1);

    const raw = rawChatter(server, 'room=mixed&nick=rob');
    const rawWelcome = await raw.next('welcome');
    expect(rawWelcome.members.map((m) => m.nick)).toEqual(['ann', 'rob']);
    const robJoined = await waitFor(
      () => annPresence.find((p) => p.member.nick === 'rob' && p.event === 'join'),
      'rob joining',
    );
    expect(robJoined).toMatchObject({ member: { technique: 'raw-websocket' }, count: 2 });
    // The raw chatter is a member of the server's presence, as a Bayeux client sees it.
    const listed = await ann.presence('/chat/messages/mixed');
    expect(listed.count).toBe(2);
    expect(listed.members?.map((m) => m.info)).toContainEqual({ nick: 'rob', technique: 'raw-websocket' });

    await ann.remoteCall('/service/chat/send', { room: 'mixed', text: 'hello rob' });
    const toRaw = await raw.next('message', (m) => m.text === 'hello rob');
    expect(toRaw).toMatchObject({ nick: 'ann', technique: 'long-polling' });

    raw.ws.send(JSON.stringify({ type: 'message', text: 'hi ann' }));
    const toAnn = await waitFor(() => annSaw.find((m) => m.text === 'hi ann'), 'the raw message');
    expect(toAnn).toMatchObject({ nick: 'rob', technique: 'raw-websocket' });

    // A late joiner gets both from the room's history, on Bayeux and on raw WebSocket.
    const late = await join(chatter('late'), 'mixed');
    expect(late.welcome.recent.map((m) => m.text)).toEqual(['hello rob', 'hi ann']);
    const lateRaw = rawChatter(server, 'room=mixed&nick=later');
    expect((await lateRaw.next('welcome')).recent.map((m) => m.text)).toEqual(['hello rob', 'hi ann']);
    lateRaw.ws.close();

    raw.ws.close();
    await waitFor(
      () => annPresence.find((p) => p.member.nick === 'rob' && p.event === 'leave'),
      'rob leaving',
    );
  });

  it("a session that ends leaves its room (the server's presence leave)", async () => {
    const watcher = client();
    const seen: PresenceEvent[] = [];
    await watcher.subscribe('/presence/chat/messages/bye', (p) => {
      const e = presenceEvent(p);
      if (e) seen.push(e);
    });
    const leaver = chatClient(server, 'leaver');
    await join(leaver, 'bye');
    const joined = await waitFor(() => seen.find((p) => p.event === 'join'), 'the join');
    await leaver.disconnect();
    const left = await waitFor(() => seen.find((p) => p.event === 'leave'), 'the leave');
    expect(left).toEqual({ event: 'leave', member: joined.member, count: 0 });
    expect(joined.member).toMatchObject({ nick: 'leaver', technique: 'long-polling' });
  });

  it('clients cannot publish to broadcast channels: only the server speaks there', async () => {
    const mallory = client();
    await expect(
      mallory.publish('/chat/messages/mixed', { nick: 'ann', text: 'forged' }),
    ).rejects.toMatchObject({
      reply: { error: '403:denied_by_security_policy:publish_denied' },
    });
    for (const channel of ['/photos/new', '/whiteboard/strokes', '/game/state', '/clock', '/chat/typing/x']) {
      await expect(mallory.publish(channel, { id: 'x' })).rejects.toMatchObject({
        reply: { error: '403:denied_by_security_policy:publish_denied' },
      });
    }
    // Presence events are the server's own.
    await expect(mallory.publish('/presence/chat/messages/x', { action: 'join' })).rejects.toMatchObject({
      reply: { error: '403:presence_channel:publish_denied' },
    });
    // Other channels are plain Bayeux (the README's client example against `npm start`).
    const other = client('websocket');
    const got: unknown[] = [];
    await other.subscribe('/chat/*', (d) => got.push(d));
    await mallory.publish('/chat/lobby', { text: 'hi' });
    await waitFor(() => (got.length === 1 ? true : undefined), 'the plain publish');
    expect(got).toEqual([{ text: 'hi' }]);
  });

  it('refusals a person can act on come back as the service failure message', async () => {
    const c = chatter('someone');
    await expect(c.remoteCall('/service/chat/send', { room: 'mixed', text: 'hi' })).rejects.toMatchObject({
      reply: { data: { message: "join the room 'mixed' before talking in it" } },
    });
    await expect(c.remoteCall('/service/chat/join', { room: 'Not A Room' })).rejects.toMatchObject({
      reply: { data: { message: 'a room name is 1-24 lower-case letters, digits or dashes' } },
    });
    // Subscribed, but no nickname in its handshake: a member of presence, not a chatter.
    const plain = client();
    await plain.subscribe('/chat/messages/nonick', () => undefined);
    await expect(
      plain.remoteCall('/service/chat/send', { room: 'nonick', text: 'hi' }),
    ).rejects.toMatchObject({
      reply: { data: { message: expect.stringMatching(/a nickname is 1-32 characters/) } },
    });
    const long = chatClient(server, 'x'.repeat(33));
    clients.push(long);
    await long.subscribe('/chat/messages/nonick', () => undefined);
    await expect(long.remoteCall('/service/chat/join', { room: 'nonick' })).rejects.toMatchObject({
      reply: { data: { message: expect.stringMatching(/a nickname is 1-32 characters/) } },
    });
    const ok = await join(chatter('x'.repeat(32)), 'nonick');
    expect(ok.welcome.count).toBe(3);
    expect(ok.welcome.members.map((m) => m.nick).sort()).toEqual(['anonymous', 'anonymous', 'x'.repeat(32)]);
  });
});

describe('late joiners, from the engine (history and presence bounds crossed by one)', () => {
  let small: DemoServer;
  const others: Client[] = [];
  beforeAll(async () => {
    small = await demo({ chatRecent: 3, maxListedMembers: 2, maxStrokes: 2, photosKept: 2 });
  });
  afterAll(async () => {
    await Promise.all(others.map((c) => c.disconnect()));
    await small.close();
  });
  const smallChatter = (nick: string) => {
    const c = chatClient(small, nick);
    others.push(c);
    return c;
  };

  it("chatRecent: a late joiner sees the newest 3 of 4 messages, from the room's history", async () => {
    const amy = smallChatter('amy');
    await amy.subscribe('/chat/messages/recent', () => undefined);
    for (let i = 0; i < 4; i++) await amy.remoteCall('/service/chat/send', { room: 'recent', text: `m${i}` });
    const history = await small.bayeux.history('/chat/messages/recent');
    expect(history.messages.map((m) => (m.data as ChatMessage).text)).toEqual(['m1', 'm2', 'm3']);
    const late = smallChatter('late');
    await late.subscribe('/chat/messages/recent', () => undefined);
    const welcome = await late.remoteCall<ChatWelcome>('/service/chat/join', { room: 'recent' });
    expect(welcome.recent.map((m) => m.text)).toEqual(['m1', 'm2', 'm3']);
    const raw = rawChatter(small, 'room=recent&nick=rawlate');
    expect((await raw.next('welcome')).recent.map((m) => m.text)).toEqual(['m1', 'm2', 'm3']);
    raw.ws.close();
    await raw.closed;
  });

  it("chatRecentBytes: the room's history holds exactly that many bytes, one less drops the oldest", async () => {
    const measure = await demo({ chatRecentBytes: 1_000_000 });
    const sizes: number[] = [];
    try {
      for (const text of ['one', 'two']) {
        await measure.bayeux.publish('/chat/messages/bytes', { text });
      }
      const { messages } = await measure.bayeux.history('/chat/messages/bytes');
      for (const m of messages) sizes.push(Buffer.byteLength(JSON.stringify(m)));
    } finally {
      await measure.close();
    }
    const both = sizes[0]! + sizes[1]!;
    for (const [bytes, kept] of [
      [both, ['one', 'two']],
      [both - 1, ['two']],
    ] as const) {
      const s = await demo({ chatRecentBytes: bytes });
      try {
        for (const text of ['one', 'two']) await s.bayeux.publish('/chat/messages/bytes', { text });
        const { messages } = await s.bayeux.history('/chat/messages/bytes');
        expect(messages.map((m) => (m.data as { text: string }).text)).toEqual(kept);
      } finally {
        await s.close();
      }
    }
  });

  it('maxListedMembers: 2 members are listed, with a third only the count', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => smallChatter(`m-${n}`));
    for (const x of [a, b]) await x!.subscribe('/chat/messages/listed', () => undefined);
    const two = await a!.remoteCall<ChatWelcome>('/service/chat/join', { room: 'listed' });
    expect([two.count, two.members.map((m) => m.nick)]).toEqual([2, ['m-a', 'm-b']]);
    await c!.subscribe('/chat/messages/listed', () => undefined);
    const three = await c!.remoteCall<ChatWelcome>('/service/chat/join', { room: 'listed' });
    expect([three.count, three.members]).toEqual([3, []]);
    // The sender is still found past the list's bound.
    await c!.remoteCall('/service/chat/send', { room: 'listed', text: 'still me' });
    const { messages } = await small.bayeux.history('/chat/messages/listed');
    expect(messages.map((m) => (m.data as ChatMessage).nick)).toEqual(['m-c']);
  });

  it('maxStrokes and clear-board: the drawing is the history after the last clear marker', async () => {
    const d = smallChatter('drawer');
    const stroke = (id: string) => ({ id, color: '#2e86ab', width: 4, points: [0.1, 0.1, 0.2, 0.2] });
    for (const id of ['s1', 's2', 's3']) await d.remoteCall('/service/whiteboard/stroke', stroke(id));
    const ids = async () =>
      (await d.remoteCall<{ strokes: Stroke[] }>('/service/whiteboard/state', {})).strokes.map((s) => s.id);
    expect(await ids()).toEqual(['s2', 's3']);
    await d.remoteCall('/service/whiteboard/clear', {});
    expect(await ids()).toEqual([]);
    await d.remoteCall('/service/whiteboard/stroke', stroke('s4'));
    expect(await ids()).toEqual(['s4']);
    const { messages } = await small.bayeux.history('/whiteboard/strokes');
    expect(messages.map((m) => m.data)).toEqual([{ clear: true, at: expect.any(Number) }, stroke('s4')]);
  });

  it('photosKept: a late joiner gets the last 2 of 3 photos, from the history of /photos/new', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${small.url}api/photos?nick=p&name=p${i}.png`, {
        method: 'POST',
        body: new Uint8Array(png(100 + i)),
      });
      ids.push(((await res.json()) as { photo: Photo }).photo.id);
    }
    const history = await small.bayeux.history('/photos/new');
    expect(history.messages.map((m) => (m.data as Photo).id)).toEqual(ids.slice(1));
    const late = smallChatter('viewer');
    const { photos } = await late.remoteCall<{ photos: Photo[] }>('/service/photos/recent', {});
    expect(photos.map((p) => [p.id, p.name, p.size])).toEqual([
      [ids[1], 'p1.png', 101],
      [ids[2], 'p2.png', 102],
    ]);
    expect((await fetch(`${small.url}photos/${ids[2]}`)).status).toBe(200);
    expect((await fetch(`${small.url}photos/${ids[0]}`)).status).toBe(404);
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
    await eventually(
      async () => ((await server.bayeux.presence('/chat/messages/full')).count === 0 ? true : undefined),
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
    await a.subscribe('/whiteboard/strokes', (s) => {
      if ((s as { clear?: boolean }).clear === true) cleared++;
      else seen.push(s);
    });
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
