// A Node process holding Bayeux clients under test: Faye's client (the peer) or @pushwire/client (ours).
// It counts deliveries and reports its own CPU time, so the cost per delivered message is the client's alone.
// Usage (spawned by the harness): client-child.ts <faye|pushwire>
import { performance } from 'node:perf_hooks';
import { serveParent } from '../lib/proc.js';
import { type SubscribedClient, subscribePushwireClient } from './pushwire-client.js';

async function subscribeFaye(url: string, channel: string, onMessage: () => void): Promise<SubscribedClient> {
  // faye ships no types; the client surface used here is subscribe() (a thenable) and disconnect().
  const faye = (await import('faye')) as unknown as {
    default: {
      Client: new (
        url: string,
      ) => { subscribe(ch: string, cb: (m: unknown) => void): PromiseLike<void>; disconnect(): void };
    };
  };
  const client = new faye.default.Client(url);
  await client.subscribe(channel, onMessage);
  return { close: () => client.disconnect() };
}

const impl = process.argv[2];
let clients: SubscribedClient[] = [];
let count = 0;
let expected = Number.POSITIVE_INFINITY;
let onAll: (() => void) | null = null;
let cpu0 = process.cpuUsage();
let elu0 = performance.eventLoopUtilization();
let t0 = 0;
const onMessage = (): void => {
  count++;
  if (count === expected) onAll?.();
};

serveParent({
  setup: async (args: { url: string; clients: number; channel: string }) => {
    for (let i = 0; i < args.clients; i++) {
      clients.push(
        impl === 'faye'
          ? await subscribeFaye(args.url, args.channel, onMessage)
          : await subscribePushwireClient(args.url, args.channel, onMessage),
      );
    }
    return { clients: clients.length };
  },
  expect: (args: { total: number }) => {
    count = 0;
    expected = args.total;
    cpu0 = process.cpuUsage();
    elu0 = performance.eventLoopUtilization();
    t0 = performance.now();
    return {};
  },
  wait: (args: { timeoutMs: number }) =>
    new Promise((resolve) => {
      const done = (): void => {
        const cpu = process.cpuUsage(cpu0);
        // Event-loop active time: the main thread's share alone (process CPU also counts GC helper threads).
        const elu = performance.eventLoopUtilization(elu0);
        resolve({
          received: count,
          cpuUs: cpu.user + cpu.system,
          loopUs: elu.active * 1000,
          ms: performance.now() - t0,
        });
      };
      if (count >= expected) return done();
      onAll = done;
      setTimeout(done, args.timeoutMs);
    }),
  teardown: () => {
    for (const c of clients) c.close();
    clients = [];
    return {};
  },
});
