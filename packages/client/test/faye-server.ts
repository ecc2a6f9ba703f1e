// Test helper: Faye's own Bayeux server (npm `faye` NodeAdapter) on 127.0.0.1, an independent peer.

import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';

const require = createRequire(import.meta.url);

interface FayeAdapter {
  attach(server: http.Server): void;
  addExtension(ext: { incoming?: FayeHook; outgoing?: FayeHook }): void;
  getClient(): { publish(channel: string, data: unknown): unknown };
  close(): void;
}
type FayeHook = (
  message: Record<string, unknown>,
  request: unknown,
  callback: (m: Record<string, unknown>) => void,
) => void;

// faye ships no types; this is the part of NodeAdapter the tests use.
const faye = require('faye') as {
  NodeAdapter: new (options: { mount: string; timeout: number }) => FayeAdapter;
};

export interface FayeServer {
  url: string;
  port: number;
  adapter: FayeAdapter;
  http: http.Server;
  /** Publishes from the server side (Faye's in-process client). */
  publish(channel: string, data: unknown): Promise<void>;
  close(): Promise<void>;
}

export async function startFaye(
  options: { timeout?: number; websocket?: boolean; port?: number } = {},
): Promise<FayeServer> {
  const server = http.createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const adapter = new faye.NodeAdapter({ mount: '/bayeux', timeout: options.timeout ?? 5 });
  adapter.attach(server);
  if (options.websocket === false) {
    // Refuse every upgrade: the client must fall back to long-polling.
    server.removeAllListeners('upgrade');
    server.on('upgrade', (_req, socket: Socket) => socket.destroy());
  }
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/bayeux`,
    port,
    adapter,
    http: server,
    publish: async (channel, data) => {
      await adapter.getClient().publish(channel, data);
    },
    close: async () => {
      adapter.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
