// Many connections opening, sending, closing and dying at random against one server (seeded, bounded):
// no exception escapes, every connection reaches CLOSED, and the server's clients set empties.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WebSocket } from '../src/websocket.js';
import { startServer } from './helpers.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

describe('connection churn', () => {
  it('survives random sends, closes and terminations on both sides', async () => {
    const random = rng(6455);
    const { wss, url } = await startServer({ perMessageDeflate: { threshold: 16 }, closeTimeout: 2000 });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    const serverClosed: Promise<unknown>[] = [];
    wss.on('connection', (ws) => {
      serverClosed.push(new Promise((r) => ws.once('close', r)));
      ws.on('message', (data, isBinary) => {
        const r = random();
        if (r < 0.05) ws.terminate();
        else if (r < 0.1) ws.close(4000 + Math.floor(r * 100));
        else ws.send(isBinary ? (data as Buffer) : data.toString());
      });
    });
    try {
      const clients = Array.from({ length: 40 }, (_, i) => {
        const ws = new WebSocket(url, [], { perMessageDeflate: i % 2 === 0 });
        ws.on('error', () => {});
        return ws;
      });
      const closed = clients.map((ws) => new Promise<void>((r) => ws.once('close', () => r())));
      await Promise.all(clients.map((ws) => once(ws, 'open')));
      for (let round = 0; round < 30; round++) {
        for (const ws of clients) {
          if (ws.readyState !== WebSocket.OPEN) continue;
          const r = random();
          if (r < 0.02) ws.terminate();
          else if (r < 0.04) ws.close(1000);
          else if (r < 0.5) ws.send('x'.repeat(Math.floor(random() * 3000)));
          else if (r < 0.9) ws.send(Buffer.alloc(Math.floor(random() * 200), round));
          else ws.ping('p');
        }
        await new Promise((r) => setImmediate(r));
      }
      for (const ws of clients) if (ws.readyState === WebSocket.OPEN) ws.close(1001);
      await Promise.all(closed);
      for (const ws of clients) expect(ws.readyState).toBe(WebSocket.CLOSED);
      expect(serverClosed.length).toBe(40);
      await Promise.all(serverClosed);
      expect(wss.clients.size).toBe(0);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await wss.close();
    }
  });
});
