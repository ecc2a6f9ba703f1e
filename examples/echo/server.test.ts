// examples/echo: text and binary come back to the sender, over a real socket with the `ws` client.

import type { IoServer } from 'pushwire/components';
import { afterEach, expect, it } from 'vitest';
import WS from 'ws';
import { start } from './server.js';

let server: IoServer | undefined;
afterEach(async () => {
  await server?.close();
});

it('echoes text as text and binary as binary', async () => {
  server = await start(0);
  const ws = new WS(`ws://127.0.0.1:${server.port}`);
  const got: [string, boolean][] = [];
  const two = new Promise<void>((resolve) => {
    ws.on('message', (data, isBinary) => {
      got.push([isBinary ? Buffer.from(data as Buffer).toString('hex') : String(data), isBinary]);
      if (got.length === 2) resolve();
    });
  });
  await new Promise<void>((r) => ws.once('open', () => r()));
  ws.send('hello');
  ws.send(Buffer.from([0, 255, 7]));
  await two;
  expect(got).toEqual([
    ['hello', false],
    ['00ff07', true],
  ]);
  ws.close();
});
