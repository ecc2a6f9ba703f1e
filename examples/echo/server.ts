// Ratchet's EchoServer: every message goes back to its sender, text as text, binary as binary.
//   npm run example:echo            (PORT=9000 npm run example:echo)
// then: node -e "const ws=new WebSocket('ws://127.0.0.1:8000');ws.onmessage=e=>console.log(e.data);ws.onopen=()=>ws.send('hi')"

import {
  type Component,
  type Connection,
  HttpServer,
  IoServer,
  type Message,
  WsServer,
} from 'pushwire/components';
import { isMain, portFromEnv, stopOnSignal } from '../main.js';

export class Echo implements Component {
  onMessage(from: Connection, msg: Message): void {
    from.send(msg);
  }
  onError(conn: Connection, e: Error): void {
    console.error(`connection ${conn.id}: ${e.message}`);
    conn.close();
  }
}

export function start(port: number, address = '127.0.0.1'): Promise<IoServer> {
  return IoServer.factory(new HttpServer(new WsServer(new Echo())), port, address).run();
}

if (isMain(import.meta.url)) {
  const server = await start(portFromEnv());
  console.log(`echo server on ws://127.0.0.1:${server.port}`);
  stopOnSignal(() => server.close());
}
