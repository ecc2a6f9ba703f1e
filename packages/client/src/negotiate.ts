// Transport choice. The client's preference order is intersected with what this runtime can do and, after
// the handshake, with the server's supportedConnectionTypes (Bayeux §4.1.2: at least one must be shared).

import type { TransportName } from './options.js';

/** The Bayeux connectionType a transport name puts on the wire (`short-polling` is long-polling). */
export function wireType(name: TransportName): 'websocket' | 'long-polling' | 'callback-polling' {
  return name === 'short-polling' ? 'long-polling' : name;
}

/** The supportedConnectionTypes a handshake announces, in preference order, without duplicates. */
export function announcedTypes(names: readonly TransportName[]): string[] {
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
