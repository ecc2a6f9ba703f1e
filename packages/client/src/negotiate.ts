// The transport choice in the client, in one place: the transport names (the Bayeux connection types of
// @pushwire/bayeux plus the client-only `short-polling`), the default preference order, the handshake's
// announcement, the intersection with the server's supportedConnectionTypes (Bayeux §4.1.2: at least
// one must be shared), and which transport to fall back to when one fails (fallbackFor).

import { CONNECTION_TYPES, type ConnectionType } from '@pushwire/bayeux';
import type { ClientErrorCode } from './errors.js';

/**
 * Every transport name the client accepts in `transports`. `short-polling` is not a wire type: it is
 * long-polling with advice.timeout = 0 on every connect (DESIGN.md: short polling is Bayeux too).
 */
export const TRANSPORTS = { ...CONNECTION_TYPES, shortPolling: 'short-polling' } as const;
export type TransportName = (typeof TRANSPORTS)[keyof typeof TRANSPORTS];

const NAMES: ReadonlySet<string> = new Set(Object.values(TRANSPORTS));

export function isTransportName(value: unknown): value is TransportName {
  return typeof value === 'string' && NAMES.has(value);
}

/** Preference order when the application names none (CometD's and Faye's order). */
export const DEFAULT_TRANSPORTS: readonly TransportName[] = [
  TRANSPORTS.websocket,
  TRANSPORTS.longPolling,
  TRANSPORTS.callbackPolling,
];

/** The Bayeux connectionType a transport name puts on the wire (`short-polling` is long-polling). */
export function wireType(name: TransportName): ConnectionType {
  return name === TRANSPORTS.shortPolling ? TRANSPORTS.longPolling : name;
}

/** The supportedConnectionTypes a handshake announces, in preference order, without duplicates. */
export function announcedTypes(names: readonly TransportName[]): ConnectionType[] {
  return [...new Set(names.map(wireType))];
}

/** The first enabled transport the server supports, or undefined when there is none. */
export function negotiate(
  enabled: readonly TransportName[],
  serverTypes: readonly unknown[] | undefined,
): TransportName | undefined {
  // A server that does not list its types (non-conforming) gets our first choice.
  if (serverTypes === undefined) return enabled[0];
  return enabled.find((name) => serverTypes.includes(wireType(name)));
}

/** What the connection loop knows when a transport failed before or during a session. */
export interface TransportFailure {
  /** The transport that failed. */
  transport: TransportName;
  /** The failure's code. */
  code: ClientErrorCode;
  /** True once a /meta/connect succeeded on this wire type in this client's life. */
  worked: boolean;
  /** stickyReconnect: a websocket that once worked is retried rather than dropped. */
  sticky: boolean;
  /** The transports still enabled, in preference order (the failed one included). */
  enabled: readonly TransportName[];
}

/**
 * The transports to disable after a failure, or an empty list to keep retrying the same one with
 * backoff. Only transports that never worked are dropped: a failure of one that worked is the network
 * or the server, not this transport.
 *
 * - websocket that cannot open, or fails before any connect succeeded (CometD, Faye): drop it, unless it
 *   is the last one left or it once worked and stickyReconnect is on.
 * - long-polling refused in a way that looks like CORS (a browser, a cross-origin URL, no response):
 *   cross-origin pages fall back to callback-polling (JSONP), which is cross-origin by design (CometD's
 *   LongPollingTransport stops accepting cross-domain URLs after such a failure). Only when
 *   callback-polling is enabled; short-polling goes with long-polling, it is the same wire type.
 */
export function fallbackFor(failure: TransportFailure): TransportName[] {
  const { transport, code, worked, enabled } = failure;
  if (transport === TRANSPORTS.websocket) {
    if (worked && failure.sticky) return [];
    if (enabled.every((name) => name === TRANSPORTS.websocket)) return [];
    return [TRANSPORTS.websocket];
  }
  if (wireType(transport) === TRANSPORTS.longPolling && code === 'CLIENT_CORS' && !worked) {
    if (!enabled.includes(TRANSPORTS.callbackPolling)) return [];
    return enabled.filter((name) => wireType(name) === TRANSPORTS.longPolling);
  }
  return [];
}

/**
 * Transports to give back after `failure`: when callback-polling, tried because long-polling looked
 * refused by CORS, fails too before it ever worked, the server was more likely unreachable than refusing
 * the page's origin, so long-polling gets another chance on the next attempt (a server that allows the
 * origin and was only down comes back on long-polling, not on JSONP for the rest of the page's life).
 */
export function restoreAfter(
  failure: TransportFailure,
  droppedForCors: readonly TransportName[],
): TransportName[] {
  if (failure.transport !== TRANSPORTS.callbackPolling || failure.worked) return [];
  return [...droppedForCors];
}
