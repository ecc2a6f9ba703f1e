// A raw WebSocket server: a net.Server that answers the opening handshake by hand (RFC 6455 4.2.2) and
// then exposes each connection as a FrameConn, so test cases can send arbitrary frames to a CLIENT.
import { createServer, type Server, type Socket } from 'node:net';
import { FrameConn } from './frame-conn.js';
import { acceptKey, type HttpHead, readHead } from './http-head.js';

export interface RawAccepted {
  conn: FrameConn;
  request: HttpHead;
}

/** Decides the handshake answer: extra header lines for a 101, or a complete raw response to send instead. */
export type HandshakeResponder = (request: HttpHead) => { headers?: Record<string, string>; raw?: string };

export class RawServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly accepted: RawAccepted[] = [];
  private readonly waiters: Array<(a: RawAccepted) => void> = [];
  /** Set per case before the client under test connects. */
  responder: HandshakeResponder = () => ({});
  url = '';

  private constructor() {
    this.server = createServer((socket) => void this.onSocket(socket));
  }

  static async start(): Promise<RawServer> {
    const raw = new RawServer();
    await new Promise<void>((resolve) => raw.server.listen(0, '127.0.0.1', resolve));
    const addr = raw.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('raw server has no TCP address');
    raw.url = `ws://127.0.0.1:${addr.port}/`;
    return raw;
  }

  private async onSocket(socket: Socket): Promise<void> {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let request: HttpHead;
    try {
      request = await readHead(socket);
    } catch {
      socket.destroy();
      return;
    }
    const key = request.headers['sec-websocket-key'] ?? '';
    const answer = this.responder(request);
    if (answer.raw !== undefined) {
      socket.write(answer.raw.replaceAll('{accept}', acceptKey(key)), 'latin1');
    } else {
      const lines = [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${acceptKey(key)}`,
        ...Object.entries(answer.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    }
    const accepted = { conn: new FrameConn(socket, 'server', request.rest), request };
    socket.resume();
    const waiter = this.waiters.shift();
    if (waiter) waiter(accepted);
    else this.accepted.push(accepted);
  }

  /** The next connection that completed the handshake. */
  next(timeoutMs = 5_000): Promise<RawAccepted> {
    const ready = this.accepted.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no client connected to the raw server within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (a: RawAccepted): void => {
        clearTimeout(timer);
        resolve(a);
      };
      this.waiters.push(done);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
