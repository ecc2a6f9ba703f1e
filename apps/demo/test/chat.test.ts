import type { Client } from '@pushwire/client';
import { describe, expect, it } from 'vitest';
import {
  type ChatMessage,
  type ChatWelcome,
  type PresenceEvent,
  presenceEvent,
} from '../src/shared/protocol.js';
import { chatClient, demoPerFile, rawChatter, waitFor } from './helpers.js';

const fixture = demoPerFile({});
const { client } = fixture;

describe("chat across techniques, on the hub's history and presence", () => {
  function chatter(nick: string, transport: 'long-polling' | 'websocket' = 'long-polling') {
    const c = chatClient(fixture.server, nick, transport);
    fixture.track(c);
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

    const raw = rawChatter(fixture.server, 'room=mixed&nick=rob');
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
    const lateRaw = rawChatter(fixture.server, 'room=mixed&nick=later');
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
    const leaver = chatClient(fixture.server, 'leaver');
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
    const long = chatClient(fixture.server, 'x'.repeat(33));
    fixture.track(long);
    await long.subscribe('/chat/messages/nonick', () => undefined);
    await expect(long.remoteCall('/service/chat/join', { room: 'nonick' })).rejects.toMatchObject({
      reply: { data: { message: expect.stringMatching(/a nickname is 1-32 characters/) } },
    });
    const ok = await join(chatter('x'.repeat(32)), 'nonick');
    expect(ok.welcome.count).toBe(3);
    expect(ok.welcome.members.map((m) => m.nick).sort()).toEqual(['anonymous', 'anonymous', 'x'.repeat(32)]);
  });
});
