// Bayeux 1.0 message shapes (Bayeux §3, "Message field definitions").
// These are the wire shapes: every field a peer may send is optional here, because validation
// (validate.ts) is what turns untrusted JSON into these types.

/** Advice (Bayeux §3.6). New advice always replaces earlier advice. */
export interface Advice {
  /** §3.6.1: retry the connect, re-handshake, or give up. */
  reconnect?: 'retry' | 'handshake' | 'none';
  /** §3.6.2: minimum ms before the next /meta/connect; negative means do not retry. */
  interval?: number;
  /** Ms the server holds a /meta/connect (CometD reference; servers honour a client's value). */
  timeout?: number;
  /** §3.6.3: several Bayeux clients share one browser. */
  'multiple-clients'?: boolean;
  /** CometD extension: max ms between connects before the session expires. */
  maxInterval?: number;
  /** §3.6.4: alternate hosts. */
  hosts?: string[];
  /** Per-transport advice, e.g. `"callback-polling": { reconnect: "handshake" }`. */
  [transport: string]: unknown;
}

/** Free-form extension data (§3.15): top-level names identify the extension. */
export type Ext = Record<string, unknown>;

/** Any Bayeux message, request or reply (§3). */
export interface Message {
  channel: string;
  id?: string;
  clientId?: string;
  data?: unknown;
  ext?: Ext;
  advice?: Advice;
  successful?: boolean;
  error?: string;
  version?: string;
  minimumVersion?: string;
  supportedConnectionTypes?: string[];
  connectionType?: string;
  subscription?: string | string[];
  timestamp?: string;
  authSuccessful?: boolean;
  [field: string]: unknown;
}

/** The five meta channels (§4). Routing on them is exact, never by prefix (Faye CVE-2020-11020). */
export const META = {
  handshake: '/meta/handshake',
  connect: '/meta/connect',
  disconnect: '/meta/disconnect',
  subscribe: '/meta/subscribe',
  unsubscribe: '/meta/unsubscribe',
} as const;
export type MetaChannel = (typeof META)[keyof typeof META];

/** Connection types (§3.4 plus the websocket type CometD and Faye define). */
export const CONNECTION_TYPES = {
  longPolling: 'long-polling',
  callbackPolling: 'callback-polling',
  websocket: 'websocket',
} as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[keyof typeof CONNECTION_TYPES];

/** Every connection type, in the order of CONNECTION_TYPES (for loops, option checks and error messages). */
export const CONNECTION_TYPE_NAMES: readonly ConnectionType[] = Object.freeze(
  Object.values(CONNECTION_TYPES),
);

/** True for one of the connection types this implementation knows (§3.4, plus websocket). */
export function isConnectionType(value: unknown): value is ConnectionType {
  return typeof value === 'string' && (CONNECTION_TYPE_NAMES as readonly string[]).includes(value);
}

/** The protocol version this implementation speaks (§3.2). */
export const BAYEUX_VERSION = '1.0';
