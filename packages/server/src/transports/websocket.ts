// The websocket transport (CometD/Faye `websocket` connection type): an upgrade on the mount path, JSON
// arrays in text frames both ways. Frames from one socket are processed in order; a held /meta/connect
// does not block the frames after it (its reply is sent when released: it stays the heartbeat). Pushes go
// out as soon as messages are queued, several queued messages in ONE frame (server.ts wake ->
// SocketPush.flushSocket in socket-push.ts). Size limit: maxMessageSize as the WebSocket maxPayload (close 1009).
// What each socket keeps is one SocketSession (socket-session.ts); the listeners here are made once per
// transport, not per socket, and find their session by the WebSocket they are called on.

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from '@pushwire/websocket';
import type { Core } from '../core.js';
import type { RequestInfo } from '../options.js';
import { isCrossSite } from '../request-info.js';
import { CLOSE, type ReplyTracker, SocketSession } from './socket-session.js';

/** The 'close' event follows an 'error'; nothing else to do (errors are the websocket layer's to report). */
function ignoreSocketError(): void {}

/**
 * RFC 6455 4.1 / 4.2.1: headers that only carry the opening handshake itself (done by the websocket layer
 * before any frame): not kept per socket (the key alone is 24 characters per client).
 */
const HANDSHAKE_ONLY: ReadonlySet<string> = new Set([
  'connection',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
]);

/**
 * What a socket keeps of its upgrade request for the security policy and extensions (`ctx.req`): the
 * method, URL and headers (without the handshake's own), frozen. The IncomingMessage itself (its stream
 * state, listener table, raw header arrays: 0.6-1 KB) is let go once the opening handshake is done.
 * Sockets whose headers are the same (names and values) share one frozen headers object.
 */
export function requestInfoOf(req: IncomingMessage): RequestInfo {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!HANDSHAKE_ONLY.has(name)) headers[name] = typeof value === 'string' ? shared(name, value) : value;
  }
  const url = req.url === undefined ? undefined : shared(':url', req.url);
  return Object.freeze({ method: req.method, url, headers: sharedHeaders(headers) });
}

/** The last socket's frozen headers: the next socket with the same names and values keeps that object. */
let lastHeaders: Readonly<IncomingHttpHeaders> | undefined;

function sharedHeaders(headers: IncomingHttpHeaders): Readonly<IncomingHttpHeaders> {
  const last = lastHeaders;
  if (last !== undefined) {
    const names = Object.keys(headers);
    let same = names.length === Object.keys(last).length;
    // Values compare as strings (made the same objects by `shared`, else compared by content); a list
    // value (a repeated header) only matches itself, so it is never taken for another socket's.
    for (let i = 0; same && i < names.length; i++) {
      const name = names[i] as string;
      same = Object.hasOwn(last, name) && last[name] === headers[name];
    }
    if (same) return last;
  }
  lastHeaders = Object.freeze(headers);
  return lastHeaders;
}

/**
 * The last value seen of the URL and of headers most sockets send alike (every client of a page upgrades
 * to the same URL and Host, from a handful of browsers): a socket whose value is the same text keeps that
 * one string instead of its own copy from the parser. A fixed set of names, one string each: bounded
 * whatever the peers send.
 */
const lastValues = new Map<string, string>(
  [
    ':url',
    'host',
    'origin',
    'user-agent',
    'accept-encoding',
    'accept-language',
    'cache-control',
    'pragma',
  ].map((name) => [name, '']),
);

function shared(name: string, value: string): string {
  const last = lastValues.get(name);
  if (last === undefined) return value;
  if (last === value) return last;
  lastValues.set(name, value);
  return value;
}

export class WebSocketTransport implements ReplyTracker {
  readonly #core: Core;
  readonly #wss: WebSocketServer;
  readonly #sessions = new Map<WebSocket, SocketSession>();
  /** Held connect replies not yet written (close() waits for them before closing sockets). */
  #inFlight = 0;
  #allSent: (() => void) | undefined;
  #whenAllSent: Promise<void> | undefined;
  // One listener of each kind for every socket of this transport: EventEmitter calls them with the
  // WebSocket as `this`, which keys its session.
  readonly #onMessage: (this: WebSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void;
  readonly #onClose: (this: WebSocket) => void;
  readonly #releaseSlot: () => void;

  constructor(core: Core) {
    this.#core = core;
    // maxPayload: an oversized message closes the socket with 1009 (RFC 6455 7.4.1) in the websocket layer.
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: core.options.maxMessageSize,
      perMessageDeflate: core.options.perMessageDeflate,
      // The websocket layer's own cap as a backstop; server.ts's admission (websockets plus HTTP requests in
      // flight, the same number) refuses first.
      maxConnections: core.options.maxConnections,
    });
    const sessions = this.#sessions;
    this.#onMessage = function onMessage(data, isBinary) {
      if (isBinary) {
        this.close(CLOSE.unsupportedData, 'text frames only');
        return;
      }
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Buffer.from(data).toString('utf8');
      sessions.get(this)?.receive(text);
    };
    const admission = core.admission;
    this.#onClose = function onClose() {
      // The connection slot the upgrade took goes back with the WebSocket (see #onConnection).
      admission.closeConnection();
      const session = sessions.get(this);
      sessions.delete(this);
      session?.closed();
    };
    this.#releaseSlot = () => admission.closeConnection();
  }

  /**
   * Takes an upgrade that holds one of admission's connection slots (server.ts took it): the slot goes back
   * when the TCP socket closes while the opening handshake is not done (refused, or the peer left), and
   * with the WebSocket's 'close' once it is (which the websocket layer emits when that socket closes).
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, remoteAddress: string): void {
    // `on`, not `once`: a socket closes once, and `once` would wrap the listener per socket.
    socket.on('close', this.#releaseSlot);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, req, socket, remoteAddress));
  }

  #onConnection(ws: WebSocket, req: IncomingMessage, socket: Duplex, remoteAddress: string): void {
    const session = new SocketSession(this.#core, this, {
      ws,
      connection: socket,
      request: requestInfoOf(req),
      remoteAddress,
      crossSite: isCrossSite(req),
    });
    // From here the WebSocket's 'close' gives the slot back: a second 'close' listener on the TCP socket
    // (the websocket layer has one) would make its listener list an array, kept per connection.
    socket.removeListener('close', this.#releaseSlot);
    this.#sessions.set(ws, session);
    ws.on('message', this.#onMessage);
    ws.on('error', ignoreSocketError);
    ws.on('close', this.#onClose);
  }

  started(): void {
    this.#inFlight++;
  }

  settled(): void {
    this.#inFlight--;
    if (this.#inFlight === 0 && this.#allSent !== undefined) {
      this.#allSent();
      this.#allSent = undefined;
      this.#whenAllSent = undefined;
    }
  }

  /** Closes every socket with 1001 (going away) and stops the WebSocket server. */
  async close(): Promise<void> {
    // The held connects were released just before: let their replies reach the sockets first.
    if (this.#inFlight > 0) {
      await (this.#whenAllSent ??= new Promise<void>((resolve) => {
        this.#allSent = resolve;
      }));
    }
    for (const ws of this.#sessions.keys()) ws.close(CLOSE.goingAway, 'server closing');
    await this.#wss.close();
  }
}
