// HttpServer (Ratchet's Http\HttpServer): takes the socket of each connection and parses HTTP with
// Node's own parser (an http.Server that never listens; the IoServer hands it sockets). The first request
// of a connection opens the wrapped HttpComponent with the parsed request; that exchange ends the
// connection (Connection: close), as in Ratchet. Requests for a mounted handler (a Bayeux server) are
// served beside the components on the same connection, with keep-alive.
//
// Refusals: 431 past maxHeaderSize (Node's parser), 413 past maxBodySize (HttpRequest.body()), 400 for a
// request Node cannot parse, 408 when the head does not arrive within headersTimeout.

import http, { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Component, HttpComponent } from './component.js';
import {
  type Connection,
  type ConnectionTransport,
  kClaim,
  kSetRequest,
  kSetTransport,
  type SendData,
} from './connection.js';
import { httpRefusedChannel } from './diagnostics.js';
import { HttpRequest } from './http-request.js';
import { invoke, reportUnhandled } from './invoke.js';
import { DEFAULTS, positive } from './options.js';

export interface HttpServerOptions {
  /** Largest request head in bytes (request line + header lines, as Node counts); 431 above. Default 16 KiB. */
  maxHeaderSize?: number;
  /** Largest body HttpRequest.body() reads; 413 above. Default 1 MiB. */
  maxBodySize?: number;
  /** Ms HttpRequest.body() waits for the whole body; 408 after. Default 30 s. */
  bodyTimeout?: number;
  /** Ms from the connection's open to a complete first request head; 408 after. Default 10 s. */
  headersTimeout?: number;
}

/**
 * Something served beside the components on the same port (a BayeuxServer has exactly these methods):
 * `matches` decides, then `handle` serves a request or `handleUpgrade` takes an upgrade.
 */
export interface HttpMount {
  matches(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> | boolean;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

/** Per connection: the head timer, and whether the wrapped component was opened. */
interface State {
  timer: NodeJS.Timeout | undefined;
  opened: boolean;
}

/** After the first request the connection speaks HTTP: send() writes the body, close() ends the response. */
class ResponseTransport implements ConnectionTransport {
  readonly #res: ServerResponse;
  constructor(res: ServerResponse) {
    this.#res = res;
  }
  send(data: SendData): void {
    const res = this.#res;
    if (res.writableEnded) return;
    if (!res.headersSent) {
      res.shouldKeepAlive = false;
      if (!res.hasHeader('content-type')) res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    }
    res.write(typeof data === 'string' || Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer));
  }
  close(): void {
    const res = this.#res;
    if (res.writableEnded) return;
    res.shouldKeepAlive = false;
    res.end();
  }
}

export function writeRawRefusal(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = Buffer.from(`${message}\n`);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${body.toString()}`,
  );
}

/**
 * The head as Node's parser sees it: request line and header lines with their CRLFs, not the final empty
 * line. Node's own check lets a few bytes more through, so the exact bound is checked here.
 */
function headSize(req: IncomingMessage): number {
  let size = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12;
  for (const part of req.rawHeaders) size += part.length + 2;
  return size;
}

export class HttpServer implements Component {
  readonly component: HttpComponent;
  readonly maxBodySize: number;
  readonly #bodyTimeout: number;
  readonly #http: http.Server;
  readonly #headersTimeout: number;
  readonly #maxHeaderSize: number;
  readonly #states = new WeakMap<Connection, State>();
  readonly #bySocket = new WeakMap<Duplex, Connection>();
  readonly #mounts: HttpMount[] = [];

  constructor(component: HttpComponent, options: HttpServerOptions = {}) {
    this.component = component;
    this.maxBodySize = positive('maxBodySize', options.maxBodySize, DEFAULTS.maxBodySize);
    this.#headersTimeout = positive('headersTimeout', options.headersTimeout, DEFAULTS.headersTimeout);
    this.#bodyTimeout = positive('bodyTimeout', options.bodyTimeout, DEFAULTS.bodyTimeout);
    this.#maxHeaderSize = positive('maxHeaderSize', options.maxHeaderSize, DEFAULTS.maxHeaderSize);
    this.#http = http.createServer({ maxHeaderSize: this.#maxHeaderSize });
    this.#http.on('request', (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res));
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#onUpgrade(req, socket, head),
    );
    this.#http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      // Node's parser refused the head: 431 past maxHeaderSize, 400 for anything it cannot parse.
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const conn = this.#bySocket.get(socket);
      if (conn !== undefined && httpRefusedChannel.hasSubscribers) {
        httpRefusedChannel.publish({ conn, status, message: err.code ?? err.message });
      }
      if (err.code === 'ECONNRESET' || (socket as Socket).bytesWritten > 0) socket.destroy();
      else
        writeRawRefusal(socket, status, status === 431 ? 'request header fields too large' : 'bad request');
    });
  }

  /** Serves `mount` (e.g. a BayeuxServer) beside the component: its paths never reach the component. */
  mount(mount: HttpMount): this {
    this.#mounts.push(mount);
    return this;
  }

  onOpen(conn: Connection): void {
    const socket = conn[kClaim]();
    const timer = setTimeout(() => {
      if (httpRefusedChannel.hasSubscribers) {
        httpRefusedChannel.publish({ conn, status: 408, message: 'request head timeout' });
      }
      writeRawRefusal(socket, 408, 'request timeout');
      setTimeout(() => socket.destroy(), 1000).unref();
    }, this.#headersTimeout);
    timer.unref();
    this.#states.set(conn, { timer, opened: false });
    this.#bySocket.set(socket, conn);
    // Node's http.Server parses what it is handed: the same path as a socket it accepted itself.
    this.#http.emit('connection', socket);
  }

  onClose(conn: Connection): void {
    const state = this.#states.get(conn);
    if (state === undefined) return;
    clearTimeout(state.timer);
    if (state.opened && this.component.onClose) {
      invoke(
        () => this.component.onClose?.(conn),
        (err) => reportUnhandled(conn, err),
      );
    }
  }

  onError(conn: Connection, error: Error): void {
    const state = this.#states.get(conn);
    if (state?.opened === true && this.component.onError) {
      invoke(
        () => this.component.onError?.(conn, error),
        (again) => {
          reportUnhandled(conn, again);
          conn.terminate();
        },
      );
      return;
    }
    // Socket errors before any request: the socket is gone, nothing above ever saw it.
    conn.terminate();
  }

  #stateOf(socket: Duplex): { conn: Connection; state: State } | undefined {
    const conn = this.#bySocket.get(socket);
    if (conn === undefined) return undefined;
    const state = this.#states.get(conn);
    if (state === undefined) return undefined;
    clearTimeout(state.timer);
    state.timer = undefined;
    return { conn, state };
  }

  #tooLarge(conn: Connection): void {
    if (httpRefusedChannel.hasSubscribers) {
      httpRefusedChannel.publish({ conn, status: 431, message: 'request header fields too large' });
    }
  }

  #mountFor(req: IncomingMessage): HttpMount | undefined {
    for (const m of this.#mounts) if (m.matches(req)) return m;
    return undefined;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const found = this.#stateOf(req.socket);
    if (found === undefined) {
      res.writeHead(500).end();
      return;
    }
    if (headSize(req) > this.#maxHeaderSize) {
      this.#tooLarge(found.conn);
      res.shouldKeepAlive = false;
      res.writeHead(431, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end('request header fields too large\n');
      return;
    }
    const mount = this.#mountFor(req);
    if (mount !== undefined) {
      Promise.resolve(mount.handle(req, res)).catch((err: unknown) => {
        reportUnhandled(found.conn, err instanceof Error ? err : new Error(String(err)));
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    const { conn, state } = found;
    if (state.opened) {
      // One component exchange per connection: a pipelined second request is refused.
      res.shouldKeepAlive = false;
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('one request per connection\n');
      return;
    }
    res.shouldKeepAlive = false;
    const request = new HttpRequest(req, { kind: 'request', res }, this.maxBodySize, this.#bodyTimeout);
    conn[kSetTransport](new ResponseTransport(res));
    this.#open(conn, state, request);
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const found = this.#stateOf(socket);
    if (found === undefined) {
      socket.destroy();
      return;
    }
    if (headSize(req) > this.#maxHeaderSize) {
      this.#tooLarge(found.conn);
      writeRawRefusal(socket, 431, 'request header fields too large');
      return;
    }
    const mount = this.#mountFor(req);
    if (mount?.handleUpgrade(req, socket, head)) return;
    const { conn, state } = found;
    if (state.opened) {
      writeRawRefusal(socket, 400, 'one request per connection');
      return;
    }
    this.#open(
      conn,
      state,
      new HttpRequest(req, { kind: 'upgrade', socket, head }, this.maxBodySize, this.#bodyTimeout),
    );
  }

  #open(conn: Connection, state: State, request: HttpRequest): void {
    state.opened = true;
    conn[kSetRequest](request);
    const component = this.component;
    invoke(
      () => component.onOpen(conn, request),
      (err) => {
        // The component failed before answering: tell it, then answer 500 if nothing was written.
        let told: boolean | Promise<boolean> = true;
        if (component.onError) {
          told = invoke(
            () => component.onError?.(conn, err),
            (again) => reportUnhandled(conn, again),
          );
        } else reportUnhandled(conn, err);
        const finish = (): void => {
          if (!request.responded) request.respond(500, 'internal server error');
        };
        if (told === true || told === false) finish();
        else void told.then(finish);
      },
    );
  }
}
