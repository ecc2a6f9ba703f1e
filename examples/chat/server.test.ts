// examples/chat: Ratchet's tutorial chat; a message reaches every OTHER connection, never the sender.

import type { IoServer } from 'pushwire/components';
import { afterEach, expect, it, vi } from 'vitest';
import WS from 'ws';
import { start } from './server.js';

let server: IoServer | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await server?.close();
});

function open(url: string): Promise<{ ws: WS; inbox: string[] }> {
  return new Promise((resolve) => {
    const ws = new WS(url);
    const inbox: string[] = [];
    ws.on('message', (d) => inbox.push(String(d)));
    ws.once('open', () => resolve({ ws, inbox }));
  });
}

it('sends every message to every other connection', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  server = await start(0);
  const url = `ws://127.0.0.1:${server.port}`;
  const a = await open(url);
  const b = await open(url);
  const c = await open(url);
  await vi.waitUntil(
    () => log.mock.calls.filter((call) => String(call[0]).startsWith('New connection')).length === 3,
  );
  a.ws.send('hi all');
  await vi.waitUntil(() => b.inbox.length === 1 && c.inbox.length === 1);
  c.ws.send('hi a and b');
  await vi.waitUntil(() => a.inbox.length === 1 && b.inbox.length === 2);
  expect(a.inbox).toEqual(['hi a and b']);
  expect(b.inbox).toEqual(['hi all', 'hi a and b']);
  expect(c.inbox).toEqual(['hi all']);
  const lines = log.mock.calls.map((call) => String(call[0]));
  const firstId = /\((\d+)\)/.exec(lines[0] ?? '')?.[1];
  expect(lines).toContain(`Connection ${firstId} sending message "hi all" to 2 other connections`);
  for (const x of [a, b, c]) x.ws.close();
});
