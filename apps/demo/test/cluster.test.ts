// Two demo processes' servers on ONE Redis (a unique key prefix): what a late joiner needs is in the engine,
// so a chatter on one node and a raw WebSocket chatter on the other see each other in presence, and a late
// joiner on either node gets the same recent messages, drawing and photo list. Real Redis at 127.0.0.1:6379.
import { randomBytes } from 'node:crypto';
import type { Client } from '@pushwire/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoEngine, openDemoEngine } from '../src/server/engine-option.js';
import type { DemoServer } from '../src/server/server.js';
import {
  type ChatMessage,
  type ChatWelcome,
  type GameState,
  type GameWelcome,
  type Photo,
  presenceEvent,
} from '../src/shared/protocol.js';
import { bayeuxClient, chatClient, demo, rawChatter, waitFor } from './helpers.js';

const REDIS = 'redis://127.0.0.1:6379';
const prefix = `demo-test-${randomBytes(6).toString('hex')}`;
const engines: DemoEngine[] = [];
const nodes: DemoServer[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const e = await openDemoEngine(REDIS, prefix, 10_000);
    engines.push(e);
    nodes.push(await demo({ engine: e.engine, cluster: e.cluster }));
  }
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
  for (const n of nodes) await n.close();
  // Leave the shared Redis clean: every key of this test's prefix.
  const { IoredisPort } = await import('@pushwire/redis');
  const port = new IoredisPort({ url: REDIS });
  const [keys] = (await port.batch([['KEYS', `${prefix}*`]])) as [string[]];
  if (keys.length > 0) await port.batch([['DEL', ...keys]]);
  await port.close();
  for (const e of engines) await e.close();
});

describe('two demo nodes on one Redis', () => {
  it('presence, recent messages, the drawing and the photos are the same on both nodes', async () => {
    const [a, b] = nodes as [DemoServer, DemoServer];
    const ann = chatClient(a, 'ann');
    clients.push(ann);
    const seen: string[] = [];
    await ann.subscribe('/presence/chat/messages/both', (d) => {
      const e = presenceEvent(d);
      if (e) seen.push(`${e.event} ${e.member.nick}`);
    });
    const got: ChatMessage[] = [];
    await ann.subscribe('/chat/messages/both', (m) => got.push(m as ChatMessage));
    await ann.remoteCall('/service/chat/send', { room: 'both', text: 'from node a' });

    // A raw chatter on the OTHER node: the recent message from the shared history, ann in its members,
    // and ann sees it join through the shared presence.
    const rob = rawChatter(b, 'room=both&nick=rob');
    const welcome = await rob.next('welcome');
    expect(welcome.recent.map((m) => m.text)).toEqual(['from node a']);
    expect(welcome.members.map((m) => m.nick)).toEqual(['ann', 'rob']);
    await waitFor(() => (seen.includes('join rob') ? true : undefined), 'rob joining, seen on node a');
    rob.ws.send(JSON.stringify({ type: 'message', text: 'from node b' }));
    await waitFor(() => got.find((m) => m.text === 'from node b'), 'the raw message on node a');

    // A late joiner on node b, over Bayeux: both messages.
    const late = chatClient(b, 'late');
    clients.push(late);
    await late.subscribe('/chat/messages/both', () => undefined);
    const w = await late.remoteCall<ChatWelcome>('/service/chat/join', { room: 'both' });
    expect(w.recent.map((m) => m.text)).toEqual(['from node a', 'from node b']);
    expect(w.count).toBe(3);

    // A stroke drawn on a, the drawing fetched on b; a photo uploaded on a, listed on b.
    const stroke = { id: 'x1', color: '#2e86ab', width: 4, points: [0.1, 0.1, 0.3, 0.3] };
    await ann.remoteCall('/service/whiteboard/stroke', stroke);
    expect(await late.remoteCall('/service/whiteboard/state', {})).toEqual({ strokes: [stroke] });
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(100, 1)]);
    const up = await fetch(`${a.url}api/photos?nick=ann&name=x.png`, { method: 'POST', body: png });
    const { photo } = (await up.json()) as { photo: Photo };
    const { photos } = await late.remoteCall<{ photos: Photo[] }>('/service/photos/recent', {});
    expect(photos.map((p) => p.id)).toEqual([photo.id]);

    rob.ws.close();
    await waitFor(() => (seen.includes('leave rob') ? true : undefined), 'rob leaving, seen on node a');
  });
});

describe('photos on two nodes', () => {
  it('a photo uploaded on node a is served byte-identical by node b (and by a), with its checked type', async () => {
    const [a, b] = nodes as [DemoServer, DemoServer];
    // Every byte value, so a text or encoding round trip that loses one shows.
    const body = Buffer.concat([
      Buffer.from('89504e470d0a1a0a', 'hex'),
      Buffer.from(Array.from({ length: 256 * 40 }, (_, i) => i % 256)),
    ]);
    const up = await fetch(`${a.url}api/photos?nick=ann&name=bytes.png`, { method: 'POST', body });
    expect(up.status).toBe(201);
    const { photo } = (await up.json()) as { photo: Photo };
    for (const node of [b, a]) {
      const res = await fetch(`${node.url}${photo.url.slice(1)}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    }
    const head = await fetch(`${b.url}${photo.url.slice(1)}`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(body.length));
    expect((await fetch(`${b.url}photos/not-a-photo`)).status).toBe(404);
  });
});

describe('the game on two nodes', () => {
  it('a player on node a sees a player on node b move; when the stepping node stops the other goes on', async () => {
    const [a, b] = nodes as [DemoServer, DemoServer];
    const onA = bayeuxClient(a, 'websocket');
    const onB = bayeuxClient(b, 'long-polling');
    clients.push(onA, onB);
    const seenOnA: GameState[] = [];
    const seenOnB: GameState[] = [];
    await onA.subscribe('/game/state', (d) => seenOnA.push(d as GameState));
    await onB.subscribe('/game/state', (d) => seenOnB.push(d as GameState));
    const ann = await onA.remoteCall<GameWelcome>('/service/game/join', { nick: 'ann' });
    const bob = await onB.remoteCall<GameWelcome>('/service/game/join', { nick: 'bob' });
    const bobOnA = () => seenOnA.at(-1)?.players.find((p) => p.id === bob.id);
    const start = await waitFor(bobOnA, "bob (node b) in the world node a's client sees");
    const dx = start.x > 400 ? -1 : 1;
    await onB.remoteCall('/service/game/input', { dx, dy: 0 });
    await waitFor(() => {
      const p = bobOnA();
      return p !== undefined && (dx > 0 ? p.x > start.x + 60 : p.x < start.x - 60) ? p : undefined;
    }, 'bob moving, seen on node a');
    // One world: both players in the same state, stepped by exactly one node, seen alike on both nodes.
    const both = await waitFor(
      () =>
        seenOnB.find((s) => s.players.some((p) => p.id === ann.id) && s.players.some((p) => p.id === bob.id)),
      'both players in a state node b delivers',
    );
    expect(seenOnA.some((s) => s.tick === both.tick)).toBe(true);
    expect([a.state.game.leader, b.state.game.leader].filter(Boolean)).toHaveLength(1);

    // No stickiness: ann's steering sent through node b, which never saw her join, still moves her (b relays
    // it on /game/relay to the node she joined through). A raw Bayeux POST with ann's session, as a balancer
    // that moved her request would deliver it.
    const annStart = await waitFor(() => seenOnB.at(-1)?.players.find((p) => p.id === ann.id), 'ann on b');
    const annDx = annStart.x > 400 ? -1 : 1;
    const reply = await fetch(`${b.url}bayeux`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { channel: '/service/game/input', clientId: onA.clientId, data: { dx: annDx, dy: 0 }, id: 'x1' },
      ]),
    });
    const [answer] = (await reply.json()) as { successful?: boolean; channel: string }[];
    expect(answer).toMatchObject({ channel: '/service/game/input', successful: true });
    await waitFor(() => {
      const p = seenOnA.at(-1)?.players.find((q) => q.id === ann.id);
      return p !== undefined && (annDx > 0 ? p.x > annStart.x + 60 : p.x < annStart.x - 60) ? p : undefined;
    }, 'ann moving after an input sent through node b');

    // The stepping node stops: the other takes the lease and continues the world, with its own player.
    const [leader, other, otherSeen, otherPlayer] = a.state.game.leader
      ? [a, b, seenOnB, bob]
      : [b, a, seenOnA, ann];
    const lastTick = otherSeen.at(-1)?.tick ?? 0;
    await leader.close();
    await waitFor(() => (other.state.game.leader ? true : undefined), 'the other node taking the world');
    const after = await waitFor(
      () => otherSeen.find((s) => s.tick > lastTick && s.players.length === 1),
      'the world going on without the stopped node’s player',
    );
    expect(after.players.map((p) => p.id)).toEqual([otherPlayer.id]);
  });
});

describe('--engine and --redis-prefix', () => {
  it('refuses an unknown engine and a prefix without redis (exit 2, before listening)', async () => {
    const { main } = await import('../src/server/main.js');
    const write = process.stderr.write;
    const errors: string[] = [];
    process.stderr.write = ((chunk: string) => errors.push(String(chunk)) > 0) as typeof write;
    try {
      expect(await main(['--port', '0', '--engine', 'mongodb://x'])).toBe(2);
      expect(await main(['--port', '0', '--redis-prefix', 'p'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toMatch(
      /--engine must be memory, redis:\/\/host:port or redis-cluster:\/\/host:port,host:port, not mongodb:\/\/x/,
    );
    expect(errors.join('')).toMatch(/--redis-prefix needs --engine redis:\/\/\.\.\./);
  });
});
