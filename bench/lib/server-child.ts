// What the bench's server children share (bayeux/server-child.ts, websocket/server-child.ts,
// cluster/node-child.ts, crowd/server-child.ts): listening on 127.0.0.1 port 0, closing an http server
// with its connections, and the commands the harness sends every server under test.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { type Handler, measureMemory, serveParent } from './proc.js';

/** A started server: the port it listens on, and how to stop it. */
export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, port 0 (the kernel picks one); resolves with the port. */
export async function listenLocal(server: Server, backlog?: number): Promise<number> {
  await new Promise<void>((resolve) =>
    backlog === undefined
      ? server.listen(0, '127.0.0.1', resolve)
      : server.listen(0, '127.0.0.1', backlog, resolve),
  );
  return (server.address() as AddressInfo).port;
}

/** Ends every connection (held long-polls included) and resolves once the server has closed. */
export function closeHttp(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Answers the harness (lib/proc.ts) for one server under test: `cpu`, `mem` (after forced GCs, plus what
 * `memExtra` adds), `snapshot` (BENCH_SNAPSHOT; summarise with bench/heap-summary.ts), `close`, and the
 * child's own `extra` commands. `info` is announced with the ready message, beside the port.
 */
export function serveServer(
  server: RunningServer,
  info: Record<string, unknown> = {},
  extra: Record<string, Handler> = {},
  memExtra: () => Record<string, unknown> = () => ({}),
): void {
  serveParent(
    {
      cpu: () => process.cpuUsage(),
      snapshot: (args: { dir: string; label: string }) => {
        measureMemory();
        return { file: writeHeapSnapshot(join(args.dir, `${args.label}-${process.pid}.heapsnapshot`)) };
      },
      mem: () => ({ ...measureMemory(), ...memExtra() }),
      close: async () => {
        await server.close();
        return {};
      },
      ...extra,
    },
    { port: server.port, ...info },
  );
}
