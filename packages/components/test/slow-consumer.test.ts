// WsServer maxSendBuffer: a connection that does not read its output is closed with 1008 once a send would
// take its unread output past the bound, instead of the output growing while a broadcast or a BayeuxBridge
// forwards a flood (the websocket layer alone only pauses reading and waits its 30 s backpressureTimeout).

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Connection, HttpServer, IoServer, SLOW_CONSUMER_REASON, WsServer } from '../src/index.js';
import { closed, listen, nextMessage, openWs, upgradeRequest } from './helpers.js';

let server: IoServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const LIMIT = 1000;

function start(ws: WsServer): Promise<string> {
  server = IoServer.factory(new HttpServer(ws), 0, '127.0.0.1', { closeTimeout: 200 });
  return listen(server);
}

describe('WsServer maxSendBuffer', () => {
  it('sends a message of exactly maxSendBuffer bytes; one byte more closes the connection with 1008', async () => {
    const wss: WsServer = new WsServer(
      {
        onMessage: (conn, m) => {
          const n = Number(m);
          if (String(m).startsWith('b')) wss.broadcast('y'.repeat(Number(String(m).slice(1))), [conn]);
          else conn.send('x'.repeat(n));
        },
      },
      { maxSendBuffer: LIMIT },
    );
    const url = await start(wss);
    const ws = await openWs(url);
    ws.send(String(LIMIT));
    expect(await nextMessage(ws)).toBe('x'.repeat(LIMIT));
    ws.send(`b${LIMIT}`); // broadcast() has the same bound
    expect(await nextMessage(ws)).toBe('y'.repeat(LIMIT));
    const gone = closed(ws);
    ws.send(String(LIMIT + 1));
    expect(await gone).toEqual({ code: 1008, reason: SLOW_CONSUMER_REASON });

    const ws2 = await openWs(url);
    const gone2 = closed(ws2);
    ws2.send(`b${LIMIT + 1}`);
    expect(await gone2).toEqual({ code: 1008, reason: SLOW_CONSUMER_REASON });
  });

  it('a peer that never reads while a flood is broadcast is closed with 1008; the output stays bounded', async () => {
    const max = 256 * 1024;
    let opened: (c: Connection) => void = () => {};
    const connected = new Promise<Connection>((r) => {
      opened = r;
    });
    const wss = new WsServer({ onOpen: (c) => opened(c) }, { maxSendBuffer: max, closeTimeout: 200 });
    const url = await start(wss);
    const port = Number(new URL(url).port);
    const socket = net.connect(port, '127.0.0.1', () => socket.write(upgradeRequest()));
    socket.on('error', () => {});
    await new Promise<void>((r) => socket.once('data', () => r()));
    socket.pause(); // never reads: the kernel buffers fill, then the server's output grows
    const conn = await connected;
    const chunks: Buffer[] = [];
    const message = 'z'.repeat(64 * 1024);
    const sends = 400; // 25 MiB offered: far more than loopback's kernel buffers hold
    let most = 0;
    for (let i = 0; i < sends; i++) {
      wss.broadcast(message, [conn]);
      most = Math.max(most, conn.socket.writableLength);
    }
    // At most maxSendBuffer unread, plus the close frame (4 bytes of header and code, the reason).
    expect(most).toBeLessThanOrEqual(max + 2 + 2 + SLOW_CONSUMER_REASON.length);
    socket.on('data', (d: Buffer) => chunks.push(d));
    const ended = new Promise<void>((r) => socket.once('close', () => r()));
    socket.resume();
    await ended; // the peer never answers the close frame: closeTimeout destroys the socket
    const received = Buffer.concat(chunks);
    expect(received.length).toBeLessThan(sends * message.length);
    const tail = received.subarray(received.length - (4 + SLOW_CONSUMER_REASON.length));
    expect(tail[0]).toBe(0x88);
    expect(tail.readUInt16BE(2)).toBe(1008);
    expect(tail.subarray(4).toString()).toBe(SLOW_CONSUMER_REASON);
  });
});
