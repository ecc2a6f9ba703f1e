// WsServer (Ratchet's WebSocket\WsServer): the RFC 6455 opening handshake and framing, on
// @pushwire/websocket's WebSocketServer in noServer mode. Text messages reach the component as strings,
// binary ones as Buffers. Keep-alive pings (one shared timer) close a peer that did not answer the
// previous ping. A component that throws in onOpen gets its connection closed with 1011 (RFC 6455 7.4.1
// "unexpected condition"); a throw or rejection in onMessage goes to onError and the connection stays.

import type { IncomingMessage } from 'node:http';
import { type PerMessageDeflateOptions, type WebSocket, WebSocketServer } from '@pushwire/websocket';
import type { Component, HttpComponent, Message } from './component.js';
import { type Connection, kSetProtocol, kSetTransport, type SendData } from './connection.js';
import { refuseHttp } from './http-layer.js';
import { type HttpRequest, kExchange } from './http-request.js';
import { invoke, reportUnhandled } from './invoke.js';
import { DEFAULTS, positive } from './options.js';

/** RFC 6455 7.4.1 close codes used here. */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  internalError: 1011,
} as const;

export interface WsServerOptions {
  /** Subprotocols spoken (with the component's own `subprotocols`), in order of preference. */
  subprotocols?: readonly string[];
  /** Refuse (400) a client that offers subprotocols, none of them ours (Ratchet's strict check). Default true. */
  strictSubprotocols?: boolean;
  /** Largest message in bytes; close 1009 above. Default 1 MiB. */
  maxPayload?: number;
  /** permessage-deflate (RFC 7692): off by default; true or options. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Ms between keep-alive pings, or false for none. Default 30 s (Ratchet's enableKeepAlive). */
  keepAlive?: number | false;
  /** Messages that may arrive while an async onOpen runs (reading is paused meanwhile); 1008 above. Default 64. */
  maxPendingMessages?: number;
  /**
   * Unread output in bytes a connection may hold (bufferedAmount plus the message being sent); a send past
   * it closes the connection with 1008 ('slow consumer') and drops the message. Default 8 MiB.
   */
  maxSendBuffer?: number;
  /** Wait for the peer's close frame before dropping the socket (ms). Default: the websocket package's 30 s. */
  closeTimeout?: number;
}

/** Every open WebSocket connection, whichever WsServer holds it: what broadcast() needs to frame once. */
const sockets = new WeakMap<Connection, { ws: WebSocket; wss: WebSocketServer; maxSendBuffer: number }>();

/** The reason of the 1008 close of a connection past maxSendBuffer. */
export const SLOW_CONSUMER_REASON = 'slow consumer: unread output past maxSendBuffer';

function byteLength(data: SendData): number {
  return typeof data === 'string'
    ? Buffer.byteLength(data)
    : (data as ArrayBufferView | ArrayBuffer).byteLength;
}

/**
 * Whether `ws` may take `length` more bytes of output. Past maxSendBuffer the connection is closed with 1008
 * (RFC 6455 7.4.1 policy violation): the websocket layer's own backpressure only pauses reading and waits
 * backpressureTimeout, during which a flood forwarded to a peer that never reads would grow without bound.
 * A closing socket takes nothing more, so its output stays at most maxSendBuffer (plus the close frame).
 */
function admits(ws: WebSocket, length: number, maxSendBuffer: number): boolean {
  if (ws.readyState !== 1) return false;
  if (ws.bufferedAmount + length <= maxSendBuffer) return true;
  ws.close(CLOSE_CODES.policyViolation, SLOW_CONSUMER_REASON);
  return false;
}

/**
 * Sends one message to many connections (DESIGN.md "Encode once"): the WebSocket connections of each
 * WsServer get ONE frame, the same bytes written to every socket (those with permessage-deflate get their
 * own compressed frame); any other connection gets `send()`. Closed connections are skipped.
 */
export function broadcast(connections: Iterable<Connection>, data: SendData): void {
  let groups: Map<WebSocketServer, WebSocket[]> | undefined;
  let length = -1;
  for (const conn of connections) {
    const bound = sockets.get(conn);
    if (bound === undefined) {
      if (conn.open) conn.send(data);
      continue;
    }
    if (length === -1) length = byteLength(data);
    if (!admits(bound.ws, length, bound.maxSendBuffer)) continue;
    groups ??= new Map();
    let list = groups.get(bound.wss);
    if (list === undefined) groups.set(bound.wss, (list = []));
    list.push(bound.ws);
  }
  if (groups === undefined) return;
  for (const [wss, list] of groups) wss.broadcast(data, list);
}

interface Open {
  ws: WebSocket;
  /** Messages held while onOpen runs (undefined once it has settled). */
  pending: Message[] | undefined;
  opened: boolean;
}

function toMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): Message {
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  return isBinary ? buf : buf.toString('utf8');
}

/** The WebSocket transport of a connection: send frames, close with a code. */
class WsTransport {
  readonly #ws: WebSocket;
  readonly #maxSendBuffer: number;
  constructor(ws: WebSocket, maxSendBuffer: number) {
    this.#ws = ws;
    this.#maxSendBuffer = maxSendBuffer;
  }
  send(data: SendData): void {
    if (admits(this.#ws, byteLength(data), this.#maxSendBuffer)) this.#ws.send(data);
  }
  close(code: number = CLOSE_CODES.normal, reason?: string): void {
    if (this.#ws.readyState === 0 || this.#ws.readyState === 1) this.#ws.close(code, reason);
  }
}

export class WsServer implements HttpComponent {
  readonly httpComponent = true as const;
  readonly component: Component;
  readonly #wss: WebSocketServer;
  readonly #protocols: readonly string[];
  readonly #strict: boolean;
  readonly #maxPending: number;
  readonly #maxSendBuffer: number;
  readonly #open = new WeakMap<Connection, Open>();
  readonly #requests = new WeakMap<IncomingMessage, HttpRequest>();
  readonly #connections = new Set<Connection>();

  constructor(component: Component, options: WsServerOptions = {}) {
    this.component = component;
    this.#protocols = [...(options.subprotocols ?? []), ...(component.subprotocols ?? [])];
    this.#strict = options.strictSubprotocols ?? true;
    this.#maxPending = positive(
      'maxPendingMessages',
      options.maxPendingMessages,
      DEFAULTS.maxPendingMessages,
    );
    this.#maxSendBuffer = positive('maxSendBuffer', options.maxSendBuffer, DEFAULTS.maxSendBuffer);
    const keepAlive =
      options.keepAlive === false ? undefined : positive('keepAlive', options.keepAlive, DEFAULTS.keepAlive);
    const protocols = this.#protocols;
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: true,
      maxPayload: positive('maxPayload', options.maxPayload, DEFAULTS.maxPayload),
      perMessageDeflate: options.perMessageDeflate ?? false,
      // HttpServer already bounded the head with its own maxHeaderSize (431).
      maxHeaderSize: 1024 * 1024 * 1024,
      ...(options.closeTimeout !== undefined ? { closeTimeout: options.closeTimeout } : {}),
      ...(keepAlive !== undefined ? { pingInterval: keepAlive } : {}),
      handleProtocols: (offered) => {
        for (const p of protocols) if (offered.has(p)) return p;
        return false;
      },
    });
    // Headers other layers added (a session cookie) ride the 101 response.
    this.#wss.on('headers', (lines, req) => {
      const request = this.#requests.get(req);
      if (request === undefined) return;
      for (const [name, value] of request.responseHeaders) lines.push(`${name}: ${value}`);
    });
  }

  /** Connections open on this server. */
  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  onOpen(conn: Connection, request: HttpRequest): void {
    const exchange = request[kExchange];
    if (exchange.kind !== 'upgrade') {
      refuseHttp(conn, request, 426, 'this is a WebSocket endpoint: send an Upgrade request', {
        Upgrade: 'websocket',
      });
      return;
    }
    if (this.#strict && this.#protocols.length > 0) {
      const offered = String(request.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (offered.length > 0 && !offered.some((p) => this.#protocols.includes(p))) {
        refuseHttp(conn, request, 400, `no supported subprotocol (supported: ${this.#protocols.join(', ')})`);
        return;
      }
    }
    this.#requests.set(request.raw, request);
    request.markResponded();
    this.#wss.handleUpgrade(request.raw, exchange.socket, exchange.head, (ws) =>
      this.#opened(conn, ws, request),
    );
  }

  #opened(conn: Connection, ws: WebSocket, request: HttpRequest): void {
    const state: Open = { ws, pending: [], opened: true };
    this.#open.set(conn, state);
    this.#connections.add(conn);
    sockets.set(conn, { ws, wss: this.#wss, maxSendBuffer: this.#maxSendBuffer });
    conn[kSetTransport](new WsTransport(ws, this.#maxSendBuffer));
    conn[kSetProtocol](ws.protocol);
    const component = this.component;
    ws.on('message', (data, isBinary) => {
      const message = toMessage(data as Buffer | ArrayBuffer | Buffer[], isBinary);
      if (state.pending !== undefined) {
        if (state.pending.length >= this.#maxPending) {
          ws.close(CLOSE_CODES.policyViolation, 'too many messages before the connection was ready');
          return;
        }
        state.pending.push(message);
        return;
      }
      this.#deliver(conn, message);
    });
    // Protocol errors (1002, 1007, 1009), ping timeouts: the component hears of them; the close follows.
    ws.on('error', (err) => this.onError(conn, err));
    // The component's onClose comes from here (once), so it fires even under a layer that does not pass
    // onClose on; the IoServer's close arriving through the stack then finds nothing left to do.
    ws.once('close', () => this.onClose(conn));
    const done = component.onOpen
      ? invoke(
          () => component.onOpen?.(conn, request),
          (err) => {
            this.#tell(conn, err);
            ws.close(CLOSE_CODES.internalError, 'internal error');
          },
        )
      : true;
    if (done === true || done === false) {
      this.#ready(state, conn, done);
      return;
    }
    // Async onOpen: stop reading until it settles, so no onMessage runs before the connection is ready.
    ws.pause();
    void done.then((ok) => {
      ws.resume();
      this.#ready(state, conn, ok);
    });
  }

  #ready(state: Open, conn: Connection, ok: boolean): void {
    const pending = state.pending ?? [];
    state.pending = undefined;
    if (!ok) return;
    for (const message of pending) this.#deliver(conn, message);
  }

  #deliver(conn: Connection, message: Message): void {
    const component = this.component;
    if (component.onMessage === undefined) return;
    invoke(
      () => component.onMessage?.(conn, message),
      (err) => this.#tell(conn, err),
    );
  }

  /** Calls onError; a failing (or missing) onError closes the connection with 1011. */
  #tell(conn: Connection, error: Error): void {
    const component = this.component;
    const fail = (again: Error): void => {
      reportUnhandled(conn, again);
      conn.close(CLOSE_CODES.internalError, 'internal error');
    };
    if (component.onError === undefined) {
      fail(error);
      return;
    }
    invoke(() => component.onError?.(conn, error), fail);
  }

  onMessage(): void {
    // The WebSocket reads its own socket; nothing arrives here.
  }

  onClose(conn: Connection): void {
    const state = this.#open.get(conn);
    if (state === undefined) return;
    this.#open.delete(conn);
    this.#connections.delete(conn);
    sockets.delete(conn);
    if (state.opened && this.component.onClose) {
      invoke(
        () => this.component.onClose?.(conn),
        (err) => reportUnhandled(conn, err),
      );
    }
  }

  onError(conn: Connection, error: Error): void {
    if (!this.#open.has(conn)) return;
    const component = this.component;
    if (component.onError === undefined) {
      reportUnhandled(conn, error);
      return;
    }
    invoke(
      () => component.onError?.(conn, error),
      (again) => reportUnhandled(conn, again),
    );
  }

  /**
   * Sends one message to many connections, framed once (DESIGN.md "Encode once"): the same bytes go to
   * every connection (those with permessage-deflate get their own compressed frame). Default: all of them.
   */
  broadcast(data: SendData, connections: Iterable<Connection> = this.#connections): void {
    broadcast(connections, data);
  }

  /** Stops the keep-alive timer and closes this server's WebSockets with 1001. */
  close(): Promise<void> {
    return this.#wss.close();
  }
}
