// A TCP proxy in front of a server that can lose one response on purpose: when armed with a marker,
// the first server->client chunk containing it is dropped and both sockets are destroyed, as when a
// network path dies with a reply in flight. This is the case CometD's ack extension exists for.
// WebSocket compression is stripped from upgrade requests so frames stay readable text.

import { once } from 'node:events';
import net from 'node:net';

export interface LossyProxy {
  /** http://127.0.0.1:<port><mount> */
  url(mount: string): string;
  /** Loses the next server->client chunk containing `marker`, and the connection carrying it. */
  arm(marker: string): void;
  /** Resolves when an armed loss has happened. */
  lost(): Promise<void>;
  close(): Promise<void>;
}

export async function startLossyProxy(targetPort: number): Promise<LossyProxy> {
  let marker: string | undefined;
  let onLost: (() => void) | undefined;
  const lostOnce = new Promise<void>((resolve) => {
    onLost = resolve;
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    let first = true;
    client.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        // RFC 7692 is negotiated per connection; without the offer the server sends plain text frames.
        chunk = Buffer.from(
          chunk.toString('latin1').replace(/^Sec-WebSocket-Extensions:.*\r\n/im, ''),
          'latin1',
        );
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (marker !== undefined && chunk.includes(marker)) {
        marker = undefined;
        client.destroy();
        upstream.destroy();
        onLost?.();
        return;
      }
      client.write(chunk);
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: (mount) => `http://127.0.0.1:${port}${mount}`,
    arm: (m) => {
      marker = m;
    },
    lost: () => lostOnce,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
