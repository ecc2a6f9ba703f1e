// Issue 4: our Bayeux client's CPU cost per delivered message in Node vs Faye's client, both subscribed
// on the same server in the same run. A raw generator publishes a fixed series at a modest rate (well under
// any server's knee) so the client side, not the server, is what is measured.

import type { BenchOptions } from '../lib/options.js';
import { type Child, startChild } from '../lib/proc.js';
import { round } from '../lib/stats.js';

export interface ClientCost {
  received: number;
  expected: number;
  /** Process CPU (all threads) per delivered message. */
  cpuPerMessageUs: number;
  /** Main-thread event-loop busy time per delivered message. */
  loopPerMessageUs: number;
  ms: number;
}
export interface ClientCostResult {
  server: string;
  clients: number;
  messages: number;
  faye: ClientCost | null;
  pushwire: ClientCost | null;
  errors: Record<string, string>;
}

const CHANNEL = '/cost/room';

async function measure(
  impl: string,
  url: string,
  load: Child,
  clients: number,
  messages: number,
  rate: number,
): Promise<ClientCost> {
  const child = await startChild(`${impl}-client`, 'bayeux/client-child.ts', [impl]);
  try {
    await child.call('setup', { url, clients, channel: CHANNEL });
    // Warm-up: lets the client settle on its final transport (Faye upgrades to websocket) and JIT.
    const warm = Math.min(500, messages);
    await child.call('expect', { total: warm * clients });
    await load.call('series', { channel: CHANNEL, count: warm, rate });
    await child.call('wait', { timeoutMs: 15_000 });
    await child.call('expect', { total: messages * clients });
    await load.call('series', { channel: CHANNEL, count: messages, rate });
    const r = await child.call<{ received: number; cpuUs: number; loopUs: number; ms: number }>('wait', {
      timeoutMs: 30_000,
    });
    return {
      received: r.received,
      expected: messages * clients,
      cpuPerMessageUs: round(r.cpuUs / Math.max(1, r.received), 2),
      loopPerMessageUs: round(r.loopUs / Math.max(1, r.received), 2),
      ms: round(r.ms, 0),
    };
  } finally {
    await child.call('teardown').catch(() => {});
    await child.stop();
  }
}

export async function runClientCost(opts: BenchOptions): Promise<ClientCostResult> {
  const clients = 10;
  const messages = opts.quick ? 2000 : 10_000;
  const rate = 2000; // publishes/s, x10 clients = 20k deliveries/s into the client process
  const result: ClientCostResult = { server: '', clients, messages, faye: null, pushwire: null, errors: {} };
  // The same server for both clients: ours if it runs, else Faye's (--servers=faye picks Faye's).
  let server: Child | null = null;
  for (const impl of ['pushwire', 'faye'].filter((s) => !opts.servers || opts.servers.includes(s))) {
    try {
      server = await startChild(`${impl}-bayeux`, 'bayeux/server-child.ts', [impl]);
      result.server = impl;
      break;
    } catch {
      server = null;
    }
  }
  if (!server) throw new Error('no Bayeux server would start');
  const load = await startChild('bayeux-publisher', 'bayeux/load-child.ts');
  try {
    const info = server.info as { port: number; path: string };
    await load.call('publisher', { host: '127.0.0.1', port: info.port, path: info.path });
    const url = `http://127.0.0.1:${info.port}${info.path}`;
    for (const impl of ['faye', 'pushwire'] as const) {
      try {
        result[impl] = await measure(impl, url, load, clients, messages, rate);
        console.log(`  client cost ${impl}: ${JSON.stringify(result[impl])}`);
      } catch (err) {
        result.errors[impl] = err instanceof Error ? err.message : String(err);
        console.log(`  client cost ${impl}: FAILED ${result.errors[impl]}`);
      }
    }
  } finally {
    await load.stop();
    await server.stop();
  }
  return result;
}
