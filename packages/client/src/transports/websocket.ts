// The websocket connection type (CometD/Faye): each text message carries a JSON array of Bayeux messages
// in either direction, and the server may push at any time. Uses only the WHATWG WebSocket surface, so
// the browser's WebSocket, `ws` and `@pushwire/websocket` all fit.

import { CONNECTION_TYPES, type Message } from '@pushwire/bayeux';
import { asUnsent, ClientError } from '../errors.js';
import type { Transport, TransportInit } from './transport.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket-api.js';

const OPEN = 1;

export function toWebSocketUrl(url: string): string {
  return url.replace(/^http(s?):/i, 'ws$1:');
}

export class WebSocketTransport implements Transport {
  readonly connectionType = CONNECTION_TYPES.websocket;
  readonly #init: TransportInit;
  #socket: WebSocketLike | null = null;
  #opening: Promise<WebSocketLike> | null = null;
  #closed = false;
  /** Abandons an open in progress (close() during the opening handshake). */
  #abortOpen: (() => void) | null = null;
  /** True once a socket of this transport reached OPEN (used by the fallback decision). */
  opened = false;

  constructor(init: TransportInit) {
    this.#init = init;
  }

  async send(messages: Message[]): Promise<void> {
    let socket: WebSocketLike;
    try {
      socket = await this.#open();
    } catch (err) {
      // No socket reached OPEN, so nothing of this batch was written.
      throw asUnsent(err);
    }
    try {
      socket.send(JSON.stringify(messages));
    } catch (err) {
      throw new ClientError('CLIENT_WEBSOCKET', 'websocket send failed', { cause: err, unsent: true });
    }
  }

  #open(): Promise<WebSocketLike> {
    if (this.#closed) return Promise.reject(new ClientError('CLIENT_TRANSPORT', 'transport closed'));
    if (this.#socket !== null && this.#socket.readyState === OPEN) return Promise.resolve(this.#socket);
    this.#opening ??= this.#connect().finally(() => {
      this.#opening = null;
    });
    return this.#opening;
  }

  async #connect(): Promise<WebSocketLike> {
    const { url, options, sink } = this.#init;
    const Ctor = await resolveWebSocket(options.WebSocket);
    const wsUrl = toWebSocketUrl(url);
    return new Promise<WebSocketLike>((resolve, reject) => {
      let settled = false;
      let socket: WebSocketLike;
      /** What the last error event said (Node clients say why; browsers never do). */
      let detail = '';
      const protocols = options.webSocketProtocol === undefined ? [] : [options.webSocketProtocol];
      // Browsers cannot set handshake headers (and ignore a third argument); Node clients can.
      const cookie = this.#init.cookies?.header();
      const headers = cookie === undefined ? options.headers : { ...options.headers, Cookie: cookie };
      const extra = Object.keys(headers).length > 0 ? { headers } : undefined;
      try {
        socket = extra === undefined ? new Ctor(wsUrl, protocols) : new Ctor(wsUrl, protocols, extra);
      } catch (err) {
        const why = err instanceof Error ? `: ${err.message}` : '';
        reject(
          new ClientError('CLIENT_WEBSOCKET', `websocket to ${wsUrl} could not be created${why}`, {
            cause: err,
          }),
        );
        return;
      }
      this.#socket = socket;
      const timer = setTimeout(() => {
        fail(
          new ClientError(
            'CLIENT_WEBSOCKET',
            `websocket to ${wsUrl} did not open within ${options.connectTimeout} ms (connectTimeout)`,
          ),
        );
        socket.close();
      }, options.connectTimeout);
      this.#abortOpen = () => fail(new ClientError('CLIENT_TRANSPORT', 'transport closed'));
      const fail = (error: ClientError): void => {
        clearTimeout(timer);
        this.#abortOpen = null;
        detach(socket);
        if (this.#socket === socket) this.#socket = null;
        if (!settled) {
          settled = true;
          reject(error);
        } else if (!this.#closed) {
          sink.failed(this, error);
        }
      };
      socket.onopen = () => {
        clearTimeout(timer);
        this.#abortOpen = null;
        settled = true;
        this.opened = true;
        resolve(socket);
      };
      socket.onmessage = (ev) => {
        if (typeof ev.data !== 'string') {
          sink.report(new ClientError('CLIENT_BAD_MESSAGE', 'binary websocket message ignored'));
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(ev.data);
        } catch (err) {
          sink.report(
            new ClientError('CLIENT_BAD_MESSAGE', `malformed JSON on websocket: ${ev.data.slice(0, 80)}`, {
              cause: err,
            }),
          );
          return;
        }
        sink.receive(parsed, this);
      };
      socket.onerror = (ev) => {
        // Browsers give no detail here (the close event that follows carries the code); Node clients
        // (`@pushwire/websocket`, `ws`) put the reason on the event: refused, unexpected HTTP status...
        detail = errorDetail(ev);
      };
      socket.onclose = (ev) => {
        const why = detail === '' ? '' : `: ${detail}`;
        const what = settled ? `websocket to ${wsUrl} closed` : `websocket to ${wsUrl} failed to open`;
        fail(
          new ClientError('CLIENT_WEBSOCKET', `${what} (close code ${ev.code})${why}`, {
            closeCode: ev.code,
          }),
        );
      };
    });
  }

  close(): void {
    this.#closed = true;
    this.#abortOpen?.();
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) {
      detach(socket);
      try {
        socket.close(1000);
      } catch {
        // Closing a socket that never opened may throw in some implementations; nothing to release.
      }
    }
  }
}

function errorDetail(ev: unknown): string {
  const event = ev as { error?: { message?: unknown }; message?: unknown } | null;
  const message = event?.error?.message ?? event?.message;
  return typeof message === 'string' ? message : '';
}

function detach(socket: WebSocketLike): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = null;
}

async function resolveWebSocket(custom: WebSocketConstructor | undefined): Promise<WebSocketConstructor> {
  if (custom !== undefined) return custom;
  // In Node our own client is used even when a global WebSocket exists (Node 22+ ships undici's). The
  // WHATWG constructor cannot set handshake headers and undici ignores a third argument, so `headers` and
  // the cookie jar (BAYEUX_BROWSER, balancer stickiness) would be dropped without a word. Always in Node,
  // not only when headers or cookies exist at the first open: any later reply may set a cookie, and one
  // implementation per runtime behaves the same on Node 20 and 22+.
  if (isNodeRuntime()) return loadOwn();
  const native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (native !== undefined) return native;
  return loadOwn();
}

/** Node's client, kept in its own module so the browser bundle replaces it with a stub. */
async function loadOwn(): Promise<WebSocketConstructor> {
  const { loadNodeWebSocket } = await import('./node-websocket.js');
  return loadNodeWebSocket();
}

/**
 * True in Node (and runtimes that emulate it) outside a document. Read through globalThis so the browser
 * path needs no `process` and imports no node: module. A page with Node integration (Electron renderer)
 * has a document: there the runtime keeps cookies and its own WebSocket sends them.
 */
export function isNodeRuntime(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof proc?.versions?.node === 'string' && typeof document === 'undefined';
}
