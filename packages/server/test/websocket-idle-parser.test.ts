// An idle Bayeux websocket client (its connect held, every frame answered) keeps no frame parser on the
// server: the socket session calls WebSocket.compact() once its frames are answered (issue 13, heap per
// idle client). The next frame is parsed by a fresh parser, as if nothing had happened.
import diagnosticsChannel from 'node:diagnostics_channel';
import type { Message } from '@pushwire/bayeux';
import type { WebSocket as ServerSocket } from '@pushwire/websocket';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Harness, startServer, until } from './helpers/http.js';

let h: Harness | undefined;
let ws: WebSocket | undefined;
afterEach(async () => {
  ws?.terminate();
  ws = undefined;
  await h?.close();
  h = undefined;
});

describe('websocket: an idle client keeps no frame parser on the server', () => {
  it('after the held connect and the replies of every frame, the parser is gone; the next frame still works', async () => {
    const opened: ServerSocket[] = [];
    const onOpen = (message: unknown): void => {
      opened.push((message as { ws: ServerSocket }).ws);
    };
    diagnosticsChannel.subscribe('pushwire:websocket:connection', onOpen);
    try {
      h = await startServer({});
      const frames: Message[][] = [];
      ws = new WebSocket(h.url.replace(/^http/, 'ws'));
      ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Message[]));
      await new Promise<void>((resolve, reject) => {
        ws!.once('open', () => resolve());
        ws!.once('error', reject);
      });
      const send = (m: Record<string, unknown>): void => ws!.send(JSON.stringify([m]));
      send({ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], id: '1' });
      await until(() => frames.length >= 1, 'handshake reply');
      const clientId = frames[0]?.[0]?.clientId as string;
      send({ channel: '/meta/connect', clientId, connectionType: 'websocket', id: '2' });
      await until(() => frames.length >= 2, 'first connect reply');
      send({ channel: '/meta/connect', clientId, connectionType: 'websocket', id: '3' }); // held
      send({ channel: '/meta/subscribe', clientId, subscription: '/room', id: '4' });
      await until(() => frames.length >= 3, 'subscribe reply');
      expect(frames[2]?.[0]).toMatchObject({ channel: '/meta/subscribe', successful: true, id: '4' });
      const server = opened[0] as unknown as { _receiver: unknown };
      expect(opened.length).toBe(1);
      // Every frame answered and only the held connect waiting: no parser kept.
      expect(server._receiver).toBeNull();
      // A later frame is parsed as before (a fresh parser), and the held connect carries the message.
      send({ channel: '/room', clientId, data: 'hi', id: '5' });
      await until(() => frames.flat().some((m) => m.channel === '/room' && m.data === 'hi'), 'delivery');
    } finally {
      diagnosticsChannel.unsubscribe('pushwire:websocket:connection', onOpen);
    }
  });
});
