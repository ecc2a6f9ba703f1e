// Cost per delivered message, our client vs Faye's Node client, on the same (our) server in the same run.
// Bounded: COUNT messages per run (default 20000), each client measured alone, sequentially.
// Run: npx tsx --conditions=pushwire-source packages/client/scripts/bench-delivery.ts [count] [transport]
// Prints one JSON line per client: wall ms, CPU ms (process-wide: server + client), CPU us per message.

import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createBayeuxServer } from '@pushwire/server';
import { Client } from '../src/index.js';

const COUNT = Number(process.argv[2] ?? 20_000);
const TRANSPORT = (process.argv[3] ?? 'websocket') as 'websocket' | 'long-polling';
const BATCH = 200;

interface Subscriber {
  subscribe(onMessage: () => void): Promise<void>;
  close(): Promise<void>;
}

async function measure(name: string, make: (url: string) => Subscriber, print = true): Promise<void> {
  const server = http.createServer();
  const bayeux = createBayeuxServer({ mount: '/bayeux', timeout: 10_000, maxQueue: COUNT + 10 });
  bayeux.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bayeux`;
  const sub = make(url);
  let received = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  await sub.subscribe(() => {
    if (++received === COUNT) done();
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < COUNT; i += BATCH) {
    const n = Math.min(BATCH, COUNT - i);
    await Promise.all(
      Array.from({ length: n }, (_, k) => bayeux.publish('/bench', { i: i + k, pad: 'x'.repeat(64) })),
    );
    // Let deliveries flow before publishing more (bounded queues).
    while (received < i + n - BATCH * 4) await new Promise((r) => setImmediate(r));
  }
  await all;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (print)
    console.log(
      JSON.stringify({
        client: name,
        transport: TRANSPORT,
        messages: COUNT,
        wallMs: Math.round(wall),
        cpuMs: Math.round(cpuMs),
        cpuUsPerMessage: +((cpuMs * 1000) / COUNT).toFixed(2),
      }),
    );
  await sub.close();
  await bayeux.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const ours = (url: string): Subscriber => {
  const client = new Client(url, { transports: [TRANSPORT] });
  return {
    subscribe: async (on) => {
      await client.subscribe('/bench', on);
    },
    close: () => client.disconnect(),
  };
};

// faye ships no types; the part used here.
const faye = createRequire(import.meta.url)('faye') as {
  Client: new (
    url: string,
  ) => {
    disable(feature: string): void;
    subscribe(channel: string, fn: () => void): PromiseLike<unknown>;
    disconnect(): unknown;
  };
};
const theirs = (url: string): Subscriber => {
  const client = new faye.Client(url);
  if (TRANSPORT === 'long-polling') client.disable('websocket');
  return {
    subscribe: async (on) => {
      await client.subscribe('/bench', on);
    },
    close: async () => {
      await client.disconnect();
    },
  };
};

// One discarded round each warms the server's JIT, so neither client pays for it.
await measure('pushwire', ours, false);
await measure('faye', theirs, false);
await measure('pushwire', ours);
await measure('faye', theirs);
