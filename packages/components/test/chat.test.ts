// Ratchet's tutorial chat, composed exactly as the tutorial does:
//   IoServer::factory(new HttpServer(new WsServer(new Chat())), 8080)->run();

import { afterEach, describe, expect, it } from 'vitest';
import { type Component, type Connection, HttpServer, IoServer, WsServer } from '../src/index.js';
import { closed, listen, nextMessage, openWs, type WS } from './helpers.js';

class Chat implements Component {
  readonly clients = new Set<Connection>();
  readonly log: string[] = [];
  onOpen(conn: Connection): void {
    this.clients.add(conn);
    this.log.push(`open ${conn.id}`);
  }
  onMessage(from: Connection, msg: string | Buffer): void {
    for (const client of this.clients) if (client !== from) client.send(msg);
  }
  onClose(conn: Connection): void {
    this.clients.delete(conn);
    this.log.push(`close ${conn.id}`);
  }
  onError(conn: Connection, e: Error): void {
    this.log.push(`error ${e.message}`);
    conn.close();
  }
}

let server: IoServer | undefined;
const sockets: WS[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server?.close();
  server = undefined;
});

describe('Ratchet tutorial chat', () => {
  it('sends every message to every other connection', async () => {
    const chat = new Chat();
    // The tutorial's exact shape (port 0 for the test; the Chat instance kept for assertions).
    server = IoServer.factory(new HttpServer(new WsServer(chat)), 0, '127.0.0.1');
    const url = await listen(server);
    const a = await openWs(url);
    const b = await openWs(url);
    const c = await openWs(url);
    sockets.push(a, b, c);
    await new Promise<void>((r) => {
      const check = (): void => (chat.clients.size === 3 ? r() : void setImmediate(check));
      check();
    });
    const atB = nextMessage(b);
    const atC = nextMessage(c);
    let aGot = false;
    a.on('message', () => {
      aGot = true;
    });
    a.send('hello from a');
    expect(await atB).toBe('hello from a');
    expect(await atC).toBe('hello from a');
    // b answers; a and c get it, b does not.
    const atA = nextMessage(a);
    const atC2 = nextMessage(c);
    b.send('hi from b');
    expect(await atA).toBe('hi from b');
    expect(await atC2).toBe('hi from b');
    expect(aGot).toBe(true);
    a.close();
    await closed(a);
    await new Promise<void>((r) => {
      const check = (): void => (chat.clients.size === 2 ? r() : void setImmediate(check));
      check();
    });
    expect(chat.log.filter((l) => l.startsWith('close'))).toHaveLength(1);
  });
});
