// The scenario x transport matrix: every scenario body runs once per (server, transport) pair, each
// with a fresh server on 127.0.0.1:0 and every session closed after the test.

import { afterEach, beforeEach, describe } from 'vitest';
import { PROFILES, type ServerProfile } from './profiles.js';
import {
  type RunningServer,
  type ServerKind,
  type ServerOptions,
  selectedServers,
  startServer,
} from './servers.js';
import { openDriver, Session } from './session.js';
import { type Driver, TRANSPORTS, type TransportName } from './transport.js';

export interface MatrixContext {
  kind: ServerKind;
  transport: TransportName;
  profile: ServerProfile;
  /** The server started for this test with the default options. */
  server(): RunningServer;
  /** Replaces the default server with one started with these options (closed after the test). */
  restart(opts: ServerOptions): Promise<RunningServer>;
  /** A session on this test's transport: handshake plus an immediate first connect. */
  open(transport?: TransportName): Promise<Session>;
  /** A bare driver on this test's transport (for hand-written handshakes). */
  driver(transport?: TransportName): Promise<Driver>;
}

export function matrix(title: string, body: (ctx: MatrixContext) => void): void {
  for (const kind of selectedServers()) {
    for (const transport of TRANSPORTS) {
      describe(`${title} [${kind} server, ${transport}]`, () => {
        let current: RunningServer | undefined;
        const closers: Array<() => Promise<void>> = [];

        beforeEach(async () => {
          current = await startServer(kind);
        });

        afterEach(async () => {
          for (const close of closers.splice(0).reverse()) await close().catch(() => {});
          await current?.close();
          current = undefined;
        });

        const ctx: MatrixContext = {
          kind,
          transport,
          profile: PROFILES[kind],
          server: () => {
            if (!current) throw new Error('server not started');
            return current;
          },
          restart: async (opts) => {
            await current?.close();
            current = await startServer(kind, opts);
            return current;
          },
          open: async (t = transport) => {
            const s = await Session.open(ctx.server(), t);
            closers.push(() => s.close());
            return s;
          },
          driver: async (t = transport) => {
            const d = await openDriver(ctx.server(), t);
            closers.push(() => d.close());
            return d;
          },
        };
        body(ctx);
      });
    }
  }
}

/** Milliseconds elapsed while `p` settles, with its value. */
export async function timed<T>(p: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await p;
  return { value, ms: performance.now() - start };
}

/** Rejects with `what` when `p` has not settled within `ms` (keeps a missing event from eating 20 s). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
