// Client options with safe defaults. Every size, count and deadline is a named option here (STYLE.md),
// checked when the client is built (config-checks.ts: TypeError for a wrong type, RangeError out of range).

import type { Message } from '@pushwire/bayeux';
import {
  checkBoolean,
  checkFunction,
  checkNumber,
  checkOneOf,
  checkString,
  checkStringRecord,
} from './config-checks.js';
import { DEFAULT_TRANSPORTS, isTransportName, TRANSPORTS, type TransportName } from './negotiate.js';
import type { WebSocketConstructor } from './transports/websocket-api.js';

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
  /**
   * Ms an operation (subscribe, publish, remoteCall, connect) waits for a session while the client has
   * none (server down, wrong URL, refused handshake); then it rejects with CLIENT_NO_SESSION, whose
   * `cause` is the last connection failure. The client itself keeps retrying. Default 10000.
   */
  sessionTimeout?: number;
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
  sessionTimeout: number;
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

const CREDENTIALS: readonly RequestCredentials[] = ['omit', 'same-origin', 'include'];

/** Defaults merged with the caller's options, each checked (TypeError: wrong type, RangeError: out of range). */
export function resolveOptions(options: ClientOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options: expected an object, got ${options === null ? 'null' : typeof options}`);
  }
  const ms = (name: keyof ClientOptions, fallback: number, min = 1): number =>
    options[name] === undefined ? fallback : checkNumber(name, options[name], { min });
  const flag = (name: keyof ClientOptions, fallback: boolean): boolean =>
    options[name] === undefined ? fallback : checkBoolean(name, options[name]);
  const advice = options.advice ?? {};
  if (typeof advice !== 'object' || advice === null) {
    throw new TypeError(`advice: expected an object, got ${typeof advice}`);
  }
  return {
    transports: resolveTransports(options.transports),
    maxNetworkDelay: ms('maxNetworkDelay', 10_000),
    backoffIncrement: ms('backoffIncrement', 1000, 0),
    maxBackoff: ms('maxBackoff', 60_000, 0),
    backoffJitter:
      options.backoffJitter === undefined
        ? 0.3
        : checkNumber('backoffJitter', options.backoffJitter, { min: 0, max: 1 }),
    stickyReconnect: flag('stickyReconnect', true),
    connectTimeout: ms('connectTimeout', 10_000),
    sessionTimeout: ms('sessionTimeout', 10_000),
    shortPollingInterval: ms('shortPollingInterval', 1000, 0),
    maxQueuedPublishes:
      options.maxQueuedPublishes === undefined
        ? 100
        : checkNumber('maxQueuedPublishes', options.maxQueuedPublishes, { min: 0, integer: true }),
    publishTimeout: ms('publishTimeout', 30_000),
    retryPublishes: flag('retryPublishes', false),
    maxURILength:
      options.maxURILength === undefined
        ? 2000
        : checkNumber('maxURILength', options.maxURILength, { min: 1, integer: true }),
    credentials:
      options.credentials === undefined
        ? 'same-origin'
        : checkOneOf('credentials', options.credentials, CREDENTIALS),
    headers: options.headers === undefined ? {} : checkStringRecord('headers', options.headers),
    advice: {
      timeout:
        advice.timeout === undefined ? 60_000 : checkNumber('advice.timeout', advice.timeout, { min: 0 }),
      interval:
        advice.interval === undefined ? 0 : checkNumber('advice.interval', advice.interval, { min: 0 }),
    },
    onBeforeHandshake:
      options.onBeforeHandshake === undefined
        ? undefined
        : checkFunction('onBeforeHandshake', options.onBeforeHandshake),
    WebSocket: options.WebSocket === undefined ? undefined : checkFunction('WebSocket', options.WebSocket),
    webSocketProtocol:
      options.webSocketProtocol === undefined
        ? undefined
        : checkString('webSocketProtocol', options.webSocketProtocol),
    fetch: options.fetch === undefined ? undefined : checkFunction('fetch', options.fetch),
    autoConnect: flag('autoConnect', true),
    cookies: flag('cookies', true),
  };
}

function resolveTransports(value: unknown): TransportName[] {
  if (value === undefined) return [...DEFAULT_TRANSPORTS];
  if (!Array.isArray(value)) throw new TypeError(`transports: expected an array of transport names`);
  if (value.length === 0) throw new RangeError('transports: expected at least one transport name, got []');
  const names = Object.values(TRANSPORTS).join(', ');
  return value.map((name: unknown, i) => {
    if (isTransportName(name)) return name;
    const problem = `transports[${i}]: expected one of ${names}, got ${typeof name === 'string' ? JSON.stringify(name) : typeof name}`;
    throw typeof name === 'string' ? new RangeError(problem) : new TypeError(problem);
  });
}
