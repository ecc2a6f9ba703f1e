// Server factory for the matrix: OUR server (`createBayeuxServer` from @pushwire/server) and Faye's
// `NodeAdapter` (npm faye 1.4.3, a real Bayeux server used to validate the scenarios themselves), both
// attached to a plain `http.Server` on 127.0.0.1 port 0. Times are milliseconds here for both; Faye
// takes seconds and is converted.

import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message } from '@pushwire/bayeux';
import {
  ackExtension,
  type BayeuxServer,
  type BayeuxServerOptions,
  createBayeuxServer,
} from '@pushwire/server';
import faye from 'faye';

export const SERVER_KINDS = ['ours', 'faye'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

/** `BAYEUX_SERVERS=faye` (or `ours`) runs the matrix against one server only; default both. */
export function selectedServers(): ServerKind[] {
  const wanted = (process.env.BAYEUX_SERVERS ?? 'ours,faye').split(',').map((s) => s.trim());
  return SERVER_KINDS.filter((k) => wanted.includes(k));
}

export interface ServerOptions {
  /** Ms a /meta/connect is held (default 2000: keeps the suite fast). */
  timeout?: number;
  /** Ms advised between connects (default 0). */
  interval?: number;
  /** Ms without a connect before a session expires (ours only; Faye expires after 2 x timeout). */
  maxInterval?: number;
  /** Listen on this port (a restart on the same address); default 0. */
  port?: number;
  /** Install our server's ack extension (CometD's acknowledged-messages wire format). Ours only. */
  ack?: boolean;
  /** More options for our server (limits such as maxQueue); Faye's server ignores them. */
  bayeux?: BayeuxServerOptions;
}

export interface RunningServer {
  kind: ServerKind;
  /** http://127.0.0.1:<port>/bayeux */
  url: string;
  /** ws://127.0.0.1:<port>/bayeux */
  wsUrl: string;
  port: number;
  /** WebSocket upgrades requested so far (to tell which transport a client library chose). */
  upgrades(): number;
  /** Destroys every open TCP connection (held polls and WebSockets) while the server keeps running. */
  dropConnections(): void;
  /** Publishes from server code (ours: `bayeux.publish`; Faye: its in-process client). */
  publish(channel: string, data: unknown): Promise<void>;
  /**
   * Resolves when the server's incoming extension pipeline sees a message matching `match` (installed
   * first on both servers): proof that a request reached the server, without guessing with a delay.
   */
  seen(match: (m: Message) => boolean): Promise<Message>;
  /** Resolves with the args of the next server event of that name ('disconnect', 'handshake', ...). */
  nextEvent(name: 'handshake' | 'subscribe' | 'publish' | 'disconnect'): Promise<unknown[]>;
  /** Our server itself (undefined for Faye). */
  bayeux?: BayeuxServer;
  close(): Promise<void>;
}

export const MOUNT = '/bayeux';

interface Listening {
  url: string;
  wsUrl: string;
  port: number;
  upgrades(): number;
  dropConnections(): void;
}

async function listen(server: http.Server, port: number): Promise<Listening> {
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let upgrades = 0;
  // Added after attach(): both servers replace the listeners present at attach time, not later ones.
  server.on('upgrade', () => {
    upgrades++;
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}${MOUNT}`,
    wsUrl: `ws://127.0.0.1:${bound}${MOUNT}`,
    port: bound,
    upgrades: () => upgrades,
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

async function stop(server: http.Server): Promise<void> {
  // Held long polls and open sockets would keep close() waiting forever.
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Waiters for `seen()`, fed by an incoming extension. */
class IncomingTap {
  private waiters: Array<{ match: (m: Message) => boolean; resolve: (m: Message) => void }> = [];

  notify(m: Message): void {
    for (const w of this.waiters.filter((x) => x.match(m))) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(m);
    }
  }

  seen(match: (m: Message) => boolean): Promise<Message> {
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}

export async function startServer(kind: ServerKind, opts: ServerOptions = {}): Promise<RunningServer> {
  const tap = new IncomingTap();
  const timeout = opts.timeout ?? 2000;
  const interval = opts.interval ?? 0;
  const httpServer = http.createServer((_req, res) => {
    res.writeHead(404).end();
  });

  if (kind === 'ours') {
    const bayeux = createBayeuxServer({
      mount: MOUNT,
      timeout,
      interval,
      maxInterval: opts.maxInterval ?? 10_000,
      ...opts.bayeux,
    });
    bayeux.addExtension({
      incoming: (m: Message) => {
        tap.notify(m);
        return m;
      },
    });
    bayeux.addService('/service/echo', async (data) => data);
    if (opts.ack) bayeux.addExtension(ackExtension());
    bayeux.attach(httpServer);
    const listening = await listen(httpServer, opts.port ?? 0);
    return {
      kind,
      ...listening,
      bayeux,
      publish: async (channel, data) => {
        await bayeux.publish(channel, data);
      },
      seen: (match) => tap.seen(match),
      nextEvent: (name) =>
        new Promise((resolve) => {
          let done = false;
          bayeux.on(name, (event) => {
            if (done) return;
            done = true;
            resolve([event]);
          });
        }),
      close: async () => {
        await bayeux.close();
        listening.dropConnections();
        await stop(httpServer);
      },
    };
  }

  const adapter = new faye.NodeAdapter({ mount: MOUNT, timeout: timeout / 1000 });
  adapter.addExtension({
    incoming: (m, callback) => {
      tap.notify(m as Message);
      callback(m);
    },
  });
  adapter.attach(httpServer);
  const listening = await listen(httpServer, opts.port ?? 0);
  return {
    kind,
    ...listening,
    publish: async (channel, data) => {
      await adapter.getClient().publish(channel, data);
    },
    seen: (match) => tap.seen(match),
    nextEvent: (name) => new Promise((resolve) => onceOn(adapter, name, resolve)),
    close: async () => {
      adapter.getClient().disconnect();
      adapter.close();
      listening.dropConnections();
      await stop(httpServer);
    },
  };
}

function onceOn(
  emitter: { on(event: string, listener: (...args: unknown[]) => void): unknown },
  name: string,
  resolve: (args: unknown[]) => void,
): void {
  let done = false;
  emitter.on(name, (...args) => {
    if (done) return;
    done = true;
    resolve(args);
  });
}
