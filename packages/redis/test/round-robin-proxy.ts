// A load balancer for tests, with NO stickiness: every HTTP request and every WebSocket upgrade goes to
// the next node in turn, whoever sends it. A node that refuses the connection (killed) is skipped, as a
// balancer's health check would; requests in flight to a node that dies fail with 502 / a closed socket.

import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ProxiedRequest {
  /** Index of the node that answered. */
  node: number;
  /** The request body (Bayeux JSON for long-polling, empty for callback-polling GETs). */
  body: string;
  url: string;
}

export class RoundRobinProxy {
  readonly log: ProxiedRequest[] = [];
  readonly #ports: number[];
  readonly #server: Server;
  readonly #sockets = new Set<Socket | Duplex>();
  #next = 0;

  private constructor(ports: number[]) {
    this.#ports = ports;
    this.#server = createServer((req, res) => this.#onRequest(req, res));
    this.#server.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head, 0));
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
  }

  static async start(ports: number[]): Promise<RoundRobinProxy> {
    const proxy = new RoundRobinProxy(ports);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  #pick(): number {
    const i = this.#next % this.#ports.length;
    this.#next++;
    return i;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.#forward(req, res, Buffer.concat(chunks), 0));
  }

  #forward(req: IncomingMessage, res: ServerResponse, body: Buffer, tries: number): void {
    const node = this.#pick();
    // agent: false: no pooled connection survives a killed node.
    const up = request(
      {
        host: '127.0.0.1',
        port: this.#ports[node],
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: false,
      },
      (answer) => {
        this.log.push({ node, body: body.toString(), url: req.url ?? '' });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && tries < this.#ports.length) {
        this.#forward(req, res, body, tries + 1);
      } else if (!res.headersSent) {
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end('node went away\n');
      } else res.destroy();
    });
    res.on('close', () => up.destroy());
    up.end(body);
  }

  #onUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, tries: number): void {
    const node = this.#pick();
    const up = connect(this.#ports[node] ?? 0, '127.0.0.1');
    this.#sockets.add(up);
    up.once('close', () => this.#sockets.delete(up));
    up.once('connect', () => {
      let raw = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      up.write(`${raw}\r\n`);
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
      this.log.push({ node, body: '', url: `ws ${req.url}` });
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && tries < this.#ports.length)
        this.#onUpgrade(req, client, head, tries + 1);
      else client.destroy();
    });
    client.on('error', () => up.destroy());
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
