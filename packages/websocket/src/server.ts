// WebSocketServer: accepts upgrades (RFC 6455 4.2) on its own http server (`port`), on a given one
// (`server`), or from the caller (`noServer` + handleUpgrade), and keeps the set of open connections.
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { NegotiatedDeflate } from './deflate/codec.js';
import { type DeflateSetting, negotiateServer } from './deflate/handshake.js';
import type { PerMessageDeflateOptions } from './deflate/params.js';
import { connectionChannel, refusedChannel } from './diagnostics.js';
import { encodeFrame, OPCODE } from './frame.js';
import {
  buildAcceptResponse,
  requestHeadSize,
  validateRequest,
  writeRefusal as writeHttpRefusal,
} from './handshake.js';
import { Liveness } from './liveness.js';
import {
  type ConnectionLimits,
  checkPositive,
  DEFAULTS,
  type LimitOptions,
  resolveLimits,
} from './options.js';
import { WebSocket, type WebSocketData } from './websocket.js';

export interface VerifyClientInfo {
  origin: string | undefined;
  req: IncomingMessage;
  /** True when the connection came over TLS. */
  secure: boolean;
}

export interface ServerOptions extends LimitOptions {
  /** Listen on this port (0 for any) with an http server the WebSocketServer owns. */
  port?: number;
  host?: string;
  backlog?: number;
  /** Attach to an existing http(s) server's 'upgrade' event. */
  server?: http.Server | import('node:https').Server;
  /** Neither: the caller passes upgrades to handleUpgrade(). */
  noServer?: boolean;
  /** permessage-deflate (RFC 7692): off by default; true or options to accept clients' offers. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Accept only this request path (query string ignored). */
  path?: string;
  /** Picks the subprotocol among those offered; false for none. Default: the client's first choice. */
  handleProtocols?: (protocols: Set<string>, req: IncomingMessage) => string | false;
  /** Accepts or refuses (403) a client, e.g. by Origin (RFC 6455 10.2). */
  verifyClient?: (info: VerifyClientInfo) => boolean | Promise<boolean>;
  /** Milliseconds from the connection (port mode) or the upgrade request to an open WebSocket; default 10 s. */
  handshakeTimeout?: number;
  /** Largest request head in bytes (request line and header lines with their CRLFs, not the empty line
   *  that ends the head: what Node's parser counts); 431 above it. Default 16 KiB. */
  maxHeaderSize?: number;
  /** Ping every open connection this often (ms) and terminate those that missed the previous ping. */
  pingInterval?: number;
  /** Keep the `clients` set (default true). */
  clientTracking?: boolean;
  /**
   * Most connections at once, open or in their opening handshake (default 16,384): past it an upgrade is
   * refused with 503 and Retry-After, so a flood of idle upgrades cannot take every file descriptor.
   */
  maxConnections?: number;
}

export type ServerEvents = {
  connection: [ws: WebSocket, req: IncomingMessage];
  listening: [];
  error: [err: Error];
  /** The 101 response's extra header lines may be pushed here before it is written. */
  headers: [headers: string[], req: IncomingMessage];
  close: [];
};

type UpgradeCallback = (ws: WebSocket, req: IncomingMessage) => void;

function onPlainRequest(_req: IncomingMessage, res: http.ServerResponse): void {
  const body = 'This is a WebSocket endpoint: send an Upgrade request.';
  res.writeHead(426, {
    'Content-Type': 'text/plain',
    'Content-Length': Buffer.byteLength(body),
    Upgrade: 'websocket',
  });
  res.end(body);
}

export class WebSocketServer extends EventEmitter<ServerEvents> {
  /** Open connections (empty when clientTracking is false). */
  readonly clients = new Set<WebSocket>();
  readonly options: Readonly<ServerOptions>;
  private readonly limits: ConnectionLimits;
  private readonly handshakeTimeout: number;
  private readonly maxHeaderSize: number;
  private readonly tracking: boolean;
  private readonly maxConnections: number;
  /** The open connections (`clients`, or a set of our own when clientTracking is off). */
  private readonly open: Set<WebSocket>;
  /** Upgrades between the checks and the 101 (verifyClient may take its time). */
  private handshaking = 0;
  private httpServer: http.Server | import('node:https').Server | null = null;
  private ownsServer = false;
  private liveness: Liveness | null = null;
  private state: 'running' | 'closing' | 'closed' = 'running';
  private readonly onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  private closing: Promise<void> | null = null;
  private readonly onListening = (): void => {
    this.emit('listening');
  };
  private readonly onError = (err: Error): void => {
    this.emit('error', err);
  };

  constructor(options: ServerOptions, onListening?: () => void) {
    super();
    const modes =
      Number(options.port !== undefined) + Number(options.server !== undefined) + Number(!!options.noServer);
    if (modes !== 1) throw new TypeError('exactly one of port, server or noServer must be given');
    this.options = options;
    this.limits = resolveLimits(options);
    this.handshakeTimeout = checkPositive(
      'handshakeTimeout',
      options.handshakeTimeout,
      DEFAULTS.handshakeTimeout,
    );
    this.maxHeaderSize = checkPositive('maxHeaderSize', options.maxHeaderSize, DEFAULTS.maxHeaderSize);
    this.tracking = options.clientTracking ?? true;
    this.maxConnections = checkPositive('maxConnections', options.maxConnections, DEFAULTS.maxConnections);
    this.open = this.tracking ? this.clients : new Set();
    this.onUpgrade = (req, socket, head) => {
      if (!this.shouldHandle(req)) {
        // Another 'upgrade' listener (another WebSocketServer with its own path) may want it.
        if (this.httpServer !== null && this.httpServer.listenerCount('upgrade') > 1) return;
        refuse(req, socket, 404, 'no WebSocket endpoint at this path');
        return;
      }
      this.handleUpgrade(req, socket, head, (ws, request) => this.emit('connection', ws, request));
    };

    if (options.port !== undefined) {
      // The server owns this http server, so it can bound the handshake against slowloris: Node answers
      // 431 past maxHeaderSize and 408 past headersTimeout/requestTimeout.
      const server = http.createServer(
        {
          maxHeaderSize: this.maxHeaderSize,
          requestTimeout: this.handshakeTimeout,
          headersTimeout: this.handshakeTimeout,
          connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(this.handshakeTimeout / 4))),
        },
        onPlainRequest,
      );
      this.httpServer = server;
      this.ownsServer = true;
      server.on('listening', this.onListening);
      server.on('error', this.onError);
      server.on('upgrade', this.onUpgrade);
      server.listen(options.port, options.host, options.backlog);
    } else if (options.server !== undefined) {
      this.httpServer = options.server;
      // Like the port mode, the server's 'listening' and 'error' are re-emitted (until close()).
      options.server.on('listening', this.onListening);
      options.server.on('error', this.onError);
      options.server.on('upgrade', this.onUpgrade);
    }
    if (onListening) this.once('listening', onListening);
    if (options.pingInterval !== undefined) {
      if (!this.tracking) throw new TypeError('pingInterval needs clientTracking');
      this.liveness = new Liveness(checkPositive('pingInterval', options.pingInterval, 0), this.clients);
    }
  }

  /** The listening address (port and server modes). */
  address(): AddressInfo | string | null {
    if (this.httpServer === null) throw new Error('the server is in noServer mode');
    return this.httpServer.address();
  }

  /** Whether `req` is for this server (its path). */
  shouldHandle(req: IncomingMessage): boolean {
    const path = this.options.path;
    if (path === undefined) return true;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    return (q === -1 ? url : url.slice(0, q)) === path;
  }

  /**
   * Completes the opening handshake on an upgrade request (RFC 6455 4.2.2) and calls `cb` with the open
   * connection; on any refusal the socket gets a complete HTTP error response and is closed.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: UpgradeCallback): void {
    socket.on('error', onHandshakeSocketError);
    if (this.state !== 'running') {
      refuse(req, socket, 503, 'the server is shutting down');
      return;
    }
    if (!this.shouldHandle(req)) {
      refuse(req, socket, 404, 'no WebSocket endpoint at this path');
      return;
    }
    if (this.open.size + this.handshaking >= this.maxConnections) {
      // RFC 9110 15.6.4: 503 with Retry-After, a condition expected to clear (connections come and go).
      refuse(req, socket, 503, 'too many connections', { 'Retry-After': String(DEFAULTS.retryAfter) });
      return;
    }
    if (requestHeadSize(req) > this.maxHeaderSize) {
      refuse(req, socket, 431, 'request header fields too large');
      return;
    }
    const check = validateRequest(req);
    if (!check.ok) {
      refuse(req, socket, check.status, check.message, check.headers);
      return;
    }

    let protocol = '';
    if (check.protocols.size > 0) {
      const chosen = this.options.handleProtocols
        ? this.options.handleProtocols(check.protocols, req)
        : (check.protocols.values().next().value as string);
      // RFC 6455 4.2.2 item 5.4: only a subprotocol the client offered may be answered.
      if (chosen !== false && check.protocols.has(chosen)) protocol = chosen;
    }

    const negotiation = negotiateServer(
      this.options.perMessageDeflate as DeflateSetting,
      check.extensions,
      this.limits.maxPayload,
    );
    if (!negotiation.ok) {
      refuse(req, socket, 400, negotiation.message);
      return;
    }
    const { deflate, extensions } = negotiation;
    // Counted until the handshake ends, whichever way: opened, refused, timed out, or the socket went away.
    this.handshaking++;
    let counted = true;
    const uncount = (): void => {
      if (counted) this.handshaking--;
      counted = false;
    };
    const timer = setTimeout(() => {
      uncount();
      deflate?.cleanup();
      socket.destroy();
    }, this.handshakeTimeout);
    const complete = (): void => {
      clearTimeout(timer);
      uncount();
      if (socket.destroyed || !socket.writable) {
        deflate?.cleanup();
        return;
      }
      if (this.state !== 'running') {
        // close() began while verifyClient was deciding.
        deflate?.cleanup();
        refuse(req, socket, 503, 'the server is shutting down');
        return;
      }
      this.completeUpgrade(req, socket, head, check.key, protocol, extensions, deflate, cb);
    };
    const verify = this.options.verifyClient;
    if (verify === undefined) {
      complete();
      return;
    }
    const info: VerifyClientInfo = {
      origin:
        (req.headers.origin as string | undefined) ??
        (req.headers['sec-websocket-origin'] as string | undefined),
      req,
      secure: !!(req.socket as { encrypted?: boolean }).encrypted,
    };
    const deny = (): void => {
      clearTimeout(timer);
      uncount();
      deflate?.cleanup();
      refuse(req, socket, 403, 'forbidden');
    };
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = verify(info);
    } catch {
      deny();
      return;
    }
    if (verdict === true) complete();
    else if (verdict === false) deny();
    else
      verdict.then(
        (ok) => (ok ? complete() : deny()),
        () => deny(),
      );
  }

  private completeUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    key: string,
    protocol: string,
    extensions: string,
    deflate: NegotiatedDeflate | null,
    cb: UpgradeCallback,
  ): void {
    const extra: string[] = [];
    this.emit('headers', extra, req);
    socket.write(buildAcceptResponse(key, protocol, extensions, extra));
    socket.removeListener('error', onHandshakeSocketError);
    const ws = new WebSocket(null);
    ws._attach(socket, head, { isServer: true, limits: this.limits, deflate, protocol, extensions });
    // Removed from the set by the connection itself when it closes: no closure per connection.
    ws._track(this.open);
    if (connectionChannel.hasSubscribers) connectionChannel.publish({ ws, req });
    cb(ws, req);
  }

  /**
   * Sends one message to many connections, framing it once: the same bytes are written to every client
   * (DESIGN.md "Encode once"). Clients with permessage-deflate get their own compressed frame.
   */
  broadcast(data: WebSocketData, clients: Iterable<WebSocket> = this.clients): void {
    // Framed once, on the first client: header and payload in one Buffer that every connection writes.
    let frame: Buffer | null = null;
    let length = 0;
    for (const ws of clients) {
      if (frame === null) {
        if (typeof data === 'string') {
          frame = encodeFrame(OPCODE.TEXT, data);
          length = Buffer.byteLength(data);
        } else {
          const bytes =
            data instanceof ArrayBuffer
              ? new Uint8Array(data)
              : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
          frame = encodeFrame(OPCODE.BINARY, bytes);
          length = bytes.byteLength;
        }
      }
      // A connection that compresses messages this large gets its own compressed frame (RFC 7692).
      if (!ws._sendShared(frame, length)) ws.send(data);
    }
  }

  /**
   * Graceful shutdown: stops accepting, closes every connection with 1001 "going away" (RFC 6455 7.4.1),
   * and resolves once they are all closed (each bounded by closeTimeout) and the listener is down.
   */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.state = 'closing';
    this.liveness?.stop();
    const waits: Promise<void>[] = [];
    for (const ws of this.clients) {
      if (ws.readyState === WebSocket.CLOSED) continue;
      waits.push(new Promise((resolve) => ws.once('close', () => resolve())));
      if (ws.readyState === WebSocket.OPEN) ws.close(1001, 'server shutting down');
    }
    const server = this.httpServer;
    if (server !== null) {
      server.removeListener('upgrade', this.onUpgrade);
      server.removeListener('listening', this.onListening);
      server.removeListener('error', this.onError);
      if (this.ownsServer) {
        waits.push(
          new Promise((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
        );
      }
    }
    this.closing = Promise.all(waits).then(() => {
      this.state = 'closed';
      this.emit('close');
    });
    return this.closing;
  }
}

function refuse(
  req: IncomingMessage,
  socket: Duplex,
  status: number,
  message: string,
  headers?: Record<string, string>,
): void {
  if (refusedChannel.hasSubscribers) refusedChannel.publish({ req, status, message });
  writeHttpRefusal(socket, status, message, headers);
}

function onHandshakeSocketError(this: Duplex): void {
  this.destroy();
}
