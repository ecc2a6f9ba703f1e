import type { Client } from '@pushwire/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoServer } from '../src/server/server.js';
import type { ChatMessage, ChatWelcome, Photo, Stroke } from '../src/shared/protocol.js';
import { chatClient, demo, png, rawChatter } from './helpers.js';

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
