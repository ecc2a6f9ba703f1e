// Options of createBayeuxServer: what a user may pass (BayeuxServerOptions) and what the server runs with
// (ResolvedOptions). The defaults are in option-defaults.ts, the checks in option-checks.ts; both are
// re-exported here so `./options.js` stays the one place to import options from.

import type { IncomingHttpHeaders } from 'node:http';
import type {
  ChannelOptions as ChannelNameOptions,
  ConnectionType,
  Message,
  ValidationLimits,
} from '@pushwire/bayeux';
import type { ServerOptions as WebSocketServerOptions } from '@pushwire/websocket';
import type { ChannelOptions } from './channel-features.js';
import type { ClientScriptSource } from './client-script.js';
import type { Engine, QueuePolicy } from './engine/engine.js';

export { resolveOptions } from './option-checks.js';
export { DEFAULTS, MAX_DELIVERY_WINDOW } from './option-defaults.js';

/** A transport the server offers: a Bayeux connection type (@pushwire/bayeux CONNECTION_TYPES). */
export type TransportName = ConnectionType;

/** Everything a hook learns about where a message came from. */
/**
 * What policies and extensions can read of the request a message came with. An `IncomingMessage` is one;
 * over a WebSocket it is what the upgrade request said (method, URL, headers), frozen, built once per socket:
 * the request object itself (stream state, listeners, raw header arrays, about 0.6-1 KB) is not kept per
 * connected client. The peer's address is `RequestContext.remoteAddress`.
 */
export interface RequestInfo {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<IncomingHttpHeaders>;
}

export interface RequestContext {
  /** The transport the message arrived on; 'local' for server code (`bayeux.publish`). */
  transport: TransportName | 'local';
  /**
   * The HTTP request the message came with: the `IncomingMessage` itself on long-polling and
   * callback-polling; on websocket a frozen RequestInfo (method, URL, headers) of the upgrade request, kept
   * for the socket's life instead of the whole request. Absent for server code.
   */
  req?: RequestInfo;
  /** The sender's client id once known (absent on a handshake request). */
  clientId?: string;
  /**
   * The peer's address: the socket's remote address, or with `trustProxy` the address the proxy saw (the
   * right-most X-Forwarded-For entry). Absent for server code.
   */
  remoteAddress?: string;
  /**
   * True when a browser says the request comes from another site: `Sec-Fetch-Site: cross-site`, else an
   * Origin or Referer of another origin (request-info.ts). False when same-site or unknown (Node clients,
   * old browsers send neither header).
   */
  crossSite?: boolean;
}

/** Authorization (CometD SecurityPolicy). Each hook may answer sync or async; false refuses with 403. */
export interface SecurityPolicy {
  canHandshake?(message: Message, ctx: RequestContext): boolean | Promise<boolean>;
  /** Called with the exact subscription, wildcard patterns included (`/chat/**`). */
  canSubscribe?(
    clientId: string,
    subscription: string,
    message: Message,
    ctx: RequestContext,
  ): boolean | Promise<boolean>;
  canPublish?(
    clientId: string | undefined,
    channel: string,
    message: Message,
    ctx: RequestContext,
  ): boolean | Promise<boolean>;
}

export interface CorsOptions {
  /** Origins allowed to make cross-origin requests; '*' allows any (echoed back, never a literal '*'). */
  origins: string[] | '*';
  /** Send Access-Control-Allow-Credentials: true (cookies on cross-origin XHR). */
  credentials?: boolean;
}

export interface BayeuxServerOptions {
  /** Path the endpoint is served on (HTTP and WebSocket upgrades). Default '/bayeux'. */
  mount?: string;
  /** Ms a /meta/connect is held when nothing is queued (advice.timeout). Default 30000. */
  timeout?: number;
  /** Ms a client waits between connects (advice.interval). Default 0. */
  interval?: number;
  /**
   * Ms a held /meta/connect stays open after the first message is queued for it, so the messages published
   * meanwhile ride the same reply (CometD's lazy messages, Faye's delivery timeout): fewer polls per
   * delivery under load, at most this much added latency. 0 answers at once. At most 1000. Default 5.
   */
  deliveryWindow?: number;
  /** Ms after the last connect reply before a silent client expires. Default 10000. */
  maxInterval?: number;
  /** Storage of clients, subscriptions and queues. Default: a new in-memory engine. */
  engine?: Engine;
  /** Transports offered, in preference order. Default all three. */
  transports?: TransportName[];
  /** Cross-origin access. Default: same-origin only (no CORS headers). */
  cors?: CorsOptions;
  /** Long polls held at once per browser (BAYEUX_BROWSER cookie); negative = unlimited. Default 1. */
  maxSessionsPerBrowser?: number;
  /** advice.interval given to the extra tabs of one browser (they short-poll). Default 2000. */
  multiSessionInterval?: number;
  /** Largest HTTP body / WebSocket message / JSONP `message` parameter, in bytes. Default 1 MiB. */
  maxMessageSize?: number;
  /** permessage-deflate (RFC 7692) on the websocket transport, as @pushwire/websocket takes it. Default off. */
  perMessageDeflate?: WebSocketServerOptions['perMessageDeflate'];
  /**
   * Bytes buffered on a WebSocket (peer not reading) past which pushes stop: messages then wait in the
   * engine queue under maxQueue/queuePolicy. Default 256 KiB.
   */
  maxSocketBuffer?: number;
  /**
   * WebSocket frames received but not yet processed (a slow async hook holds them up) past which the
   * socket stops being read, so TCP pushes back on the sender. Default 16.
   */
  maxPendingFrames?: number;
  /**
   * Guard on the Bayeux messages in one request or frame, far above any real batch (CometD's batch() sends
   * thousands): requests are bounded by maxMessageSize bytes. Messages past it are not processed; each is
   * answered `400:<max>:too_many_messages`. Default 10000.
   */
  maxMessagesPerRequest?: number;
  /**
   * Promises of async local-session handlers (`bayeux.localSession()`, the components' Bayeux bridge) not yet
   * settled, per session, past which the session takes no more from its engine queue (back-pressure, as a
   * WebSocket that stops reading): later messages wait in the engine under maxQueue / queuePolicy. Default 64.
   */
  maxPendingHandlers?: number;
  /** Subscriptions per client. Default 100. */
  maxSubscriptionsPerClient?: number;
  /**
   * Bytes of the names of one client's subscriptions together (a name may be 512 characters): past it the
   * subscribe gets `403:bytes,<n>:subscriptions_exceeded`; local sessions throw. Default 32 KiB.
   */
  maxSubscriptionBytesPerClient?: number;
  /** Messages queued per client. Default 1000. */
  maxQueue?: number;
  /** Bytes (UTF-8 of the encoded messages) queued per client; past it queuePolicy applies. Default 16 MiB. */
  maxQueueBytes?: number;
  /**
   * Largest connect reply or WebSocket push frame built for one client, in bytes: queued messages beyond it
   * wait for the next connect or push (a single larger message goes alone). Default 4 MiB.
   */
  maxReplyBytes?: number;
  /** What happens when a queue is full. Default 'drop-oldest'. */
  queuePolicy?: QueuePolicy;
  /** Longest JSONP callback name. Default 64. */
  maxJsonpCallbackLength?: number;
  /** Authorization hooks. */
  securityPolicy?: SecurityPolicy;
  /**
   * The browser client served at `<mount>/client.js` (the IIFE bundle of @pushwire/client, global `Pushwire`).
   * Default: that bundle. A function supplies another script; `false` serves nothing there.
   */
  clientScript?: ClientScriptSource | false;
  /**
   * Features per channel pattern (history with recovery, presence), first matching pattern wins:
   * `{ '/chat/**': { history: { size: 100, ttl: 3_600_000 }, presence: true } }`. Default none.
   */
  channels?: Record<string, ChannelOptions>;
  /**
   * What presence shows about a client (a nickname, from its handshake's `ext` for instance): called at
   * every handshake, the JSON-serialisable result is kept with the session. Default: null.
   */
  presenceInfo?: PresenceInfoHook;
  /** Largest presence info, in bytes of JSON; a handshake whose info is larger is refused. Default 1024. */
  maxPresenceInfoBytes?: number;
  /**
   * Handshakes per second one connection (a WebSocket, an HTTP keep-alive socket; with trustProxy WebSockets
   * only, as HTTP connections are then the proxy's) may send; past it the
   * handshake gets `403:connection,<n>:handshake_rate_exceeded` with back-off advice. Default 50.
   */
  maxHandshakesPerConnection?: number;
  /**
   * Handshakes per second from one remote address (fixed one-second window). Default 1000: an office behind
   * one NAT address reconnects all at once after a restart.
   */
  maxHandshakesPerAddress?: number;
  /** Live sessions in the engine (all nodes with a shared engine: engine.clientCount()). Default 100000. */
  maxSessions?: number;
  /**
   * Live sessions handshaken on this node from one remote address. Default 10000. Behind a reverse proxy every
   * client has the proxy's address unless `trustProxy` is set.
   */
  maxSessionsPerAddress?: number;
  /**
   * Bits of an IPv6 address that make one "address" for maxHandshakesPerAddress and maxSessionsPerAddress:
   * a host (or an attacker) gets a whole /64 (RFC 6177), 2^64 addresses, so every address of one prefix
   * counts together. An IPv4-mapped address (`::ffff:a.b.c.d`) counts as its IPv4 address. 1..128; 128
   * counts each IPv6 address alone. Default 64.
   */
  ipv6PrefixLength?: number;
  /**
   * Connections to the mount at once on this node: WebSockets plus HTTP requests in flight (held connects
   * included). Past it an upgrade or request gets 503 with Retry-After. Default 10000.
   */
  maxConnections?: number;
  /** Ms after a WebSocket upgrade within which a handshake (or connect) must name a session; 1008. Default 10000. */
  handshakeDeadline?: number;
  /** Ms a POST body may take to arrive in full; past it 408 and the connection is closed. Default 20000. */
  bodyTimeout?: number;
  /** Most segments in a channel name or subscription (`/a/b/c` has 3): `400:<n>:channel_too_deep`. Default 32. */
  maxChannelSegments?: number;
  /**
   * Host header values accepted (DNS-rebinding guard): names (`example.com`), `.example.com` for it and its
   * subdomains, or 'all'. A request arriving on a loopback address is served only for loopback names
   * (localhost, *.localhost), IP literals and these; on another address any Host is served unless a list
   * is given. Refused with 403. Default [] (loopback guard only).
   */
  allowedHosts?: string[] | 'all';
  /**
   * Behind a reverse proxy: take ctx.remoteAddress from the right-most X-Forwarded-For entry. Only set it
   * when every request comes through a proxy you run (a client can write that header). Default false.
   */
  trustProxy?: boolean;
}

/** Computes a client's presence info from its handshake (sync or async). */
export type PresenceInfoHook = (handshake: Message, ctx: RequestContext) => unknown | Promise<unknown>;

export interface ResolvedOptions {
  mount: string;
  timeout: number;
  interval: number;
  deliveryWindow: number;
  maxInterval: number;
  transports: TransportName[];
  cors: CorsOptions | undefined;
  maxSessionsPerBrowser: number;
  multiSessionInterval: number;
  maxMessageSize: number;
  maxSocketBuffer: number;
  maxPendingFrames: number;
  perMessageDeflate: WebSocketServerOptions['perMessageDeflate'];
  maxMessagesPerRequest: number;
  maxPendingHandlers: number;
  maxSubscriptionsPerClient: number;
  maxSubscriptionBytesPerClient: number;
  maxQueue: number;
  maxQueueBytes: number;
  maxReplyBytes: number;
  queuePolicy: QueuePolicy;
  maxJsonpCallbackLength: number;
  securityPolicy: SecurityPolicy;
  clientScript: ClientScriptSource | false;
  channels: Record<string, ChannelOptions>;
  presenceInfo: PresenceInfoHook | undefined;
  maxPresenceInfoBytes: number;
  maxHandshakesPerConnection: number;
  maxHandshakesPerAddress: number;
  maxSessions: number;
  maxSessionsPerAddress: number;
  ipv6PrefixLength: number;
  maxConnections: number;
  handshakeDeadline: number;
  bodyTimeout: number;
  maxChannelSegments: number;
  allowedHosts: readonly string[] | 'all';
  trustProxy: boolean;
  /** The protocol layer's limits derived from these options (validateMessage, channel checks). */
  validation: ValidationLimits & { channel: ChannelNameOptions };
}
