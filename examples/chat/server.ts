// Ratchet's tutorial chat (socketo.me/docs/hello-world), line for line: every message goes to every
// OTHER connection.
//   npm run example:chat
// then open two terminals: npx wscat -c ws://127.0.0.1:8000 (or the browser console: new WebSocket(...))

import {
  type Component,
  type Connection,
  HttpServer,
  IoServer,
  type Message,
  WsServer,
} from 'pushwire/components';
import { isMain, portFromEnv, stopOnSignal } from '../main.js';

export class Chat implements Component {
  protected clients = new Set<Connection>();

  onOpen(conn: Connection): void {
    // Store the new connection to send messages to later
    this.clients.add(conn);
    console.log(`New connection! (${conn.id})`);
  }

  onMessage(from: Connection, msg: Message): void {
    const numRecv = this.clients.size - 1;
    console.log(
      `Connection ${from.id} sending message "${String(msg)}" to ${numRecv} other connection${numRecv === 1 ? '' : 's'}`,
    );
    for (const client of this.clients) {
      // The sender is not the receiver, send to each client connected
      if (from !== client) client.send(msg);
    }
  }

  onClose(conn: Connection): void {
    // The connection is closed, remove it, as we can no longer send it messages
    this.clients.delete(conn);
    console.log(`Connection ${conn.id} has disconnected`);
  }

  onError(conn: Connection, e: Error): void {
    console.log(`An error has occurred: ${e.message}`);
    conn.close();
  }
}

export function start(port: number, address = '127.0.0.1'): Promise<IoServer> {
  // Ratchet: IoServer::factory(new HttpServer(new WsServer(new Chat())), 8080)->run();
  return IoServer.factory(new HttpServer(new WsServer(new Chat())), port, address).run();
}

if (isMain(import.meta.url)) {
  const server = await start(portFromEnv());
  console.log(`chat server on ws://127.0.0.1:${server.port}`);
  stopOnSignal(() => server.close());
}
