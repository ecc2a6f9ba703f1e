// Client options with safe defaults. Every size/count limit is a named option here (STYLE.md).

import type { Message } from '@pushwire/bayeux';
import type { WebSocketLike } from './transports/transport.js';

/** Transport names accepted in `transports`. `short-polling` is long-polling with advice.timeout = 0. */
export type TransportName = 'websocket' | 'long-polling' | 'callback-polling' | 'short-polling';

/** A WHATWG-shaped WebSocket constructor (the browser's, `ws`, or `@pushwire/websocket`). */
/** Node implementations (`ws`, `@pushwire/websocket`) take a third options argument for headers. */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { headers?: Record<string, string> },
) => WebSocketLike;

export interface ClientOptions {
  /** Preference order, negotiated against the server's supportedConnectionTypes. */
  transports?: TransportName[];
  /** Ms a request may take beyond the advised hold time (CometD `maxNetworkDelay`). Default 10000. */
  maxNetworkDelay?: number;
  /** Backoff grows by this on every network failure (CometD `backoffIncrement`). Default 1000. */
  backoffIncrement?: number;
  /** Backoff cap. Default 60000. */
  maxBackoff?: number;
  /** Random extra fraction of the backoff (0..1) so many clients do not reconnect in step. Default 0.3. */
  backoffJitter?: number;
  /** Retry websocket after a failure only if it once worked (CometD `stickyReconnect`). Default true. */
  stickyReconnect?: boolean;
  /** Ms to wait for a WebSocket to open. Default 10000. */
  connectTimeout?: number;
  /** Ms between polls in `short-polling` mode (the server's advice.interval wins if larger). Default 1000. */
  shortPollingInterval?: number;
  /** Most publishes kept while disconnected; one more is rejected with CLIENT_QUEUE_FULL. Default 100. */
  maxQueuedPublishes?: number;
  /** Per-publish deadline in ms while it waits for a connection; then CLIENT_PUBLISH_EXPIRED. Default 30000. */
  publishTimeout?: number;
  /**
   * Re-send a publish whose request failed (timeout, broken connection) although the server may have
   * received it. true = at-least-once (Faye: a lost reply can mean a second broadcast); false = at-most-once
   * (CometD: such a publish rejects with CLIENT_TIMEOUT / CLIENT_TRANSPORT and the application decides).
   * Publishes that certainly never left (no connection, refused) are re-sent either way. Default false.
   */
  retryPublishes?: boolean;
  /** Longest callback-polling URL; batches are split to stay under it (CometD `maxURILength`). Default 2000. */
  maxURILength?: number;
  /** fetch credentials mode for long-polling (CORS). Default 'same-origin'. */
  credentials?: RequestCredentials;
  /** Extra HTTP headers: long-polling (fetch), callback-polling in Node, the websocket handshake in Node. */
  headers?: Record<string, string>;
  /** Initial advice before the server sends any (CometD defaults). */
  advice?: { timeout?: number; interval?: number };
  /** Async hook before every (re-)handshake: refresh credentials in `message.ext`. */
  onBeforeHandshake?: (message: Message) => void | Promise<void>;
  /**
   * WebSocket implementation. Default: `@pushwire/websocket` in Node, even where a global WebSocket exists
   * (Node 22+'s undici one cannot send `headers` or cookies), `globalThis.WebSocket` in browsers.
   */
  WebSocket?: WebSocketConstructor;
  /** WebSocket subprotocol to request. */
  webSocketProtocol?: string;
  /** fetch implementation; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Start the handshake on the first subscribe/publish. Default true. */
  autoConnect?: boolean;
  /** Node: keep the server's cookies (BAYEUX_BROWSER, load-balancer stickiness) across requests and
   * transports. Browsers always manage cookies themselves. Default true. */
  cookies?: boolean;
}

export interface ResolvedOptions {
  transports: TransportName[];
  maxNetworkDelay: number;
  backoffIncrement: number;
  maxBackoff: number;
  backoffJitter: number;
  stickyReconnect: boolean;
  connectTimeout: number;
  shortPollingInterval: number;
  maxQueuedPublishes: number;
  publishTimeout: number;
  retryPublishes: boolean;
  maxURILength: number;
  credentials: RequestCredentials;
  headers: Record<string, string>;
  advice: { timeout: number; interval: number };
  onBeforeHandshake: ((message: Message) => void | Promise<void>) | undefined;
  WebSocket: WebSocketConstructor | undefined;
  webSocketProtocol: string | undefined;
  fetch: typeof fetch | undefined;
  autoConnect: boolean;
  cookies: boolean;
}

export const DEFAULT_TRANSPORTS: readonly TransportName[] = ['websocket', 'long-polling', 'callback-polling'];

export function resolveOptions(options: ClientOptions = {}): ResolvedOptions {
  return {
    transports: options.transports ? [...options.transports] : [...DEFAULT_TRANSPORTS],
    maxNetworkDelay: options.maxNetworkDelay ?? 10_000,
    backoffIncrement: options.backoffIncrement ?? 1000,
    maxBackoff: options.maxBackoff ?? 60_000,
    backoffJitter: options.backoffJitter ?? 0.3,
    stickyReconnect: options.stickyReconnect ?? true,
    connectTimeout: options.connectTimeout ?? 10_000,
    shortPollingInterval: options.shortPollingInterval ?? 1000,
    maxQueuedPublishes: options.maxQueuedPublishes ?? 100,
    publishTimeout: options.publishTimeout ?? 30_000,
    retryPublishes: options.retryPublishes ?? false,
    maxURILength: options.maxURILength ?? 2000,
    credentials: options.credentials ?? 'same-origin',
    headers: { ...options.headers },
    advice: { timeout: options.advice?.timeout ?? 60_000, interval: options.advice?.interval ?? 0 },
    onBeforeHandshake: options.onBeforeHandshake,
    WebSocket: options.WebSocket,
    webSocketProtocol: options.webSocketProtocol,
    fetch: options.fetch,
    autoConnect: options.autoConnect ?? true,
    cookies: options.cookies ?? true,
  };
}
