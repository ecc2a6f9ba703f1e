// Issue 13: with an engine whose queues are remote (no takeQueueSync, as the Redis engine), a socket
// flush takes with Engine.takeQueueWithMore and, told nothing is left, takes no second time only to find
// the queue empty (that second take was a Redis round trip and two commands per flush).
import type { Message } from '@pushwire/bayeux';
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EncodedMessage, QueueTake } from '../src/engine/engine.js';
import { type Harness, startServer, until } from './helpers/http.js';
import { TestEngine } from './helpers/test-engine.js';

/** Counts the takes made after `counting` is set (the handshake's and the hold's own takes are left out). */
class CountingEngine extends TestEngine {
  counting = false;
  takes = 0;
  takesWithMore = 0;
  override async takeQueue(clientId: string, maxBytes?: number, journal?: string): Promise<EncodedMessage[]> {
    if (this.counting) this.takes++;
    return super.takeQueue(clientId, maxBytes, journal);
  }
  override async takeQueueWithMore(
    clientId: string,
    maxBytes?: number,
    journal?: string,
  ): Promise<QueueTake> {
    if (this.counting) this.takesWithMore++;
    this.counting = false; // the inner takeQueue is not a take of its own
    try {
      return await super.takeQueueWithMore(clientId, maxBytes, journal);
    } finally {
      this.counting = true;
    }
  }
}

let h: Harness | undefined;
let ws: WebSocket | undefined;
afterEach(async () => {
  ws?.terminate();
  await h?.close();
  h = undefined;
});

it('a socket push takes once per frame with takeQueueWithMore, and not again when nothing is left', async () => {
  const engine = new CountingEngine();
  h = await startServer({ timeout: 30_000 }, engine);
  const frames: Message[][] = [];
  const socket = new WebSocket(h.url.replace(/^http/, 'ws'));
  ws = socket;
  socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Message[]));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(
    JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] }]),
  );
  await until(() => frames.length === 1, 'handshake');
  const clientId = frames[0]?.[0]?.clientId as string;
  socket.send(JSON.stringify([{ channel: '/meta/subscribe', clientId, subscription: '/room' }]));
  await until(() => frames.length === 2, 'subscribe');
  socket.send(JSON.stringify([{ channel: '/meta/connect', clientId, connectionType: 'websocket' }]));
  await until(() => frames.length === 3, 'first connect');
  socket.send(JSON.stringify([{ channel: '/meta/connect', clientId, connectionType: 'websocket' }]));
  await until(() => h?.bayeux.heldConnects === 1, 'held');
  engine.counting = true;
  await Promise.all([h.bayeux.publish('/room', 1), h.bayeux.publish('/room', 2)]);
  await until(() => frames.length === 4, 'the push');
  expect(frames[3]).toEqual([
    { channel: '/room', data: 1 },
    { channel: '/room', data: 2 },
  ]);
  // One take for the one frame; a plain takeQueue here would be followed by a second one.
  expect([engine.takesWithMore, engine.takes]).toEqual([1, 0]);
});
