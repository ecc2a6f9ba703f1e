// A crowd generator, in its own process: opens its share of idle clients (Bayeux websocket clients that
// handshake, subscribe and hold a connect, or bare WebSocket connections), spread over the servers and
// over source addresses, with a bounded number in flight, and counts which of them receive the one
// published message. Driven by the harness (suite.ts) over IPC.
import { readFileSync } from 'node:fs';
import { type ChatClient, wsChatClient } from '../bayeux/raw-bayeux.js';
import { measureMemory, serveParent } from '../lib/proc.js';
import { type RawWs, rawConnect } from '../lib/raw-ws.js';
import { monoMs, round } from '../lib/stats.js';
import { CROWD_LIMITS, parseOpenFilesLimit, serverOf, sourceAddress } from './plan.js';

const HOST = '127.0.0.1';

export interface OpenArgs {
  mode: 'bayeux' | 'raw';
  /** Server ports, by server index. */
  ports: number[];
  path: string;
  channel: string;
  first: number;
  count: number;
  addresses: number;
  inflight: number;
  /** Monotonic ms after which no new client is started. */
  deadline: number;
}

export interface OpenResult {
  opened: number;
  failed: number;
  lost: number;
  firstError: string;
  stoppedBy: 'done' | 'deadline' | 'failures';
  ms: number;
}

let clients: Array<ChatClient | RawWs | undefined> = [];
/** 1 once client i received the message; one byte per client. */
let got = new Uint8Array(0);
let received = 0;
let deliveries = 0;
let lastAt = Number.NaN;
let opened = 0;
let failed = 0;
/** Clients that were subscribed, then got a failed reply (and were closed). */
let lost = 0;
let firstError = '';
let publisher: ChatClient | null = null;

function receipt(i: number): void {
  deliveries++;
  lastAt = monoMs();
  if (got[i] === 0) {
    got[i] = 1;
    received++;
  }
}

/** Rejects after `ms`; a late success is torn down so nothing leaks past its failure. */
function bounded<T extends { close?: () => void; destroy?: () => void }>(
  p: Promise<T>,
  ms: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        if (late) {
          v.close?.();
          v.destroy?.();
        } else resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

async function openOne(args: OpenArgs, i: number): Promise<ChatClient | RawWs> {
  const k = args.first + i;
  const target = { host: HOST, port: args.ports[serverOf(k, args.ports.length)] as number, path: args.path };
  const localAddress = sourceAddress(k, args.addresses);
  if (args.mode === 'raw') {
    return rawConnect({
      ...target,
      localAddress,
      wantPayload: false,
      timeoutMs: CROWD_LIMITS.CLIENT_TIMEOUT_MS,
      handlers: { onMessage: () => receipt(i) },
    });
  }
  // A failed reply (a refused connect, an unknown session) ends this client: raw-bayeux's client would
  // re-connect at once, and a crowd of those is a storm, not an idle crowd. It is counted as lost.
  let made: ChatClient | null = null;
  let gone = false;
  const sink = {
    delivery: () => receipt(i),
    error: (text: string) => {
      if (gone) return;
      gone = true;
      if (made) lost++;
      else failed++;
      if (!firstError) firstError = text;
      made?.close();
    },
  };
  const make = async (): Promise<ChatClient> => {
    const c = await wsChatClient(target, sink, localAddress);
    if (gone) {
      c.close();
      throw new Error(firstError || 'failed reply');
    }
    await c.subscribe(args.channel);
    made = c;
    return c;
  };
  return bounded(make(), CROWD_LIMITS.CLIENT_TIMEOUT_MS);
}

async function open(args: OpenArgs): Promise<OpenResult> {
  const t0 = monoMs();
  clients = new Array(args.count);
  got = new Uint8Array(args.count);
  let next = 0;
  let stoppedBy: OpenResult['stoppedBy'] = 'done';
  const worker = async (): Promise<void> => {
    while (next < args.count) {
      if (failed >= CROWD_LIMITS.MAX_FAILURES) {
        stoppedBy = 'failures';
        return;
      }
      if (monoMs() > args.deadline) {
        stoppedBy = 'deadline';
        return;
      }
      const i = next++;
      try {
        clients[i] = await openOne(args, i);
        opened++;
      } catch (err) {
        failed++;
        if (!firstError) firstError = err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.inflight, args.count) }, worker));
  return { opened, failed, lost, firstError, stoppedBy, ms: round(monoMs() - t0, 0) };
}

/** The soft open-files limit this process runs with (after the shell raised it to the hard limit). */
function fdLimit(): number {
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return Number.NaN;
  }
}

serveParent(
  {
    open: (args: OpenArgs) => open(args),
    progress: () => ({ opened, failed, lost, firstError }),
    /** A Bayeux client that is not subscribed: it publishes the one message. */
    publisher: async (args: { port: number; path: string }) => {
      publisher = await bounded(
        wsChatClient({ host: HOST, ...args }, { delivery: () => {}, error: () => {} }),
        CROWD_LIMITS.CLIENT_TIMEOUT_MS,
      );
      return {};
    },
    /** Publishes one stamped message; returns the monotonic time taken just before the write. */
    publish: (args: { channel: string }) => {
      if (!publisher) throw new Error('no publisher');
      const at = monoMs();
      publisher.publish(args.channel, `${at.toFixed(3)},"p":"crowd"`);
      return { at };
    },
    /** Waits until every connected client received the message (or `timeoutMs`), then reports. */
    receipts: async (args: { timeoutMs: number }) => {
      const until = monoMs() + args.timeoutMs;
      while (received < opened - lost && monoMs() < until) await new Promise((r) => setTimeout(r, 50));
      // A little longer, bounded, so duplicates (a client served twice) would show.
      await new Promise((r) => setTimeout(r, 200));
      return { connected: opened - lost, received, deliveries, lastAt };
    },
    mem: () => measureMemory(),
    teardown: () => {
      for (const c of clients) {
        if (!c) continue;
        if ('destroy' in c) c.destroy();
        else c.close();
      }
      publisher?.close();
      clients = [];
      return {};
    },
  },
  { fdLimit: fdLimit() },
);
