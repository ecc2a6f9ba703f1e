// Test helpers: our Bayeux server on 127.0.0.1 port 0, and awaitable collectors (no sleeps).

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { BayeuxServer, BayeuxServerOptions } from '@pushwire/server';
import { createBayeuxServer } from '@pushwire/server';

export interface OurServer {
  url: string;
  port: number;
  bayeux: BayeuxServer;
  http: http.Server;
  /** Destroys every open TCP connection (a network cut; websockets included). */
  cut(): void;
  close(): Promise<void>;
}

export async function startOurs(options: BayeuxServerOptions & { port?: number } = {}): Promise<OurServer> {
  const { port: wanted, ...bayeuxOptions } = options;
  const server = http.createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const bayeux = createBayeuxServer({ mount: '/bayeux', timeout: 2000, ...bayeuxOptions });
  bayeux.addService('/service/echo', (data: unknown) => data);
  bayeux.attach(server);
  await new Promise<void>((resolve) => server.listen(wanted ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/bayeux`,
    port,
    bayeux,
    http: server,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      await bayeux.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Collects handler calls; `next()` resolves with the next one (already-received calls first). */
export function collector<T extends unknown[]>() {
  const items: T[] = [];
  const waiters: ((item: T) => void)[] = [];
  let read = 0;
  return {
    items,
    handler: (...args: T): void => {
      items.push(args);
      const waiter = waiters.shift();
      if (waiter !== undefined) {
        read++;
        waiter(args);
      }
    },
    next(): Promise<T> {
      if (read < items.length) return Promise.resolve(items[read++]!);
      return new Promise<T>((resolve) => waiters.push(resolve));
    },
  };
}

/** Resolves the next time `on(event)` fires. */
export function once<A extends unknown[]>(
  subscribe: (listener: (...args: A) => void) => () => void,
): Promise<A> {
  return new Promise<A>((resolve) => {
    const off = subscribe((...args: A) => {
      off();
      resolve(args);
    });
  });
}
