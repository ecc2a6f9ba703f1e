// Observability (DESIGN.md): node:diagnostics_channel, no logging dependency.

import diagnostics from 'node:diagnostics_channel';

export const DIAGNOSTICS_CHANNELS = {
  /** `{ conn }` a connection was accepted by an IoServer. */
  open: 'pushwire:components:open',
  /** `{ conn }` a connection closed. */
  close: 'pushwire:components:close',
  /** `{ conn, error }` an error no component handled (onError missing or itself failing). */
  error: 'pushwire:components:error',
  /** `{ remoteAddress, reason }` a TCP connection refused at accept (blacklist, maxConnections). */
  refused: 'pushwire:components:refused',
  /** `{ conn, status, message }` an HTTP refusal (404, 403, 431, ...). */
  httpRefused: 'pushwire:components:http-refused',
} as const;

export const openChannel = diagnostics.channel(DIAGNOSTICS_CHANNELS.open);
export const closeChannel = diagnostics.channel(DIAGNOSTICS_CHANNELS.close);
export const errorChannel = diagnostics.channel(DIAGNOSTICS_CHANNELS.error);
export const refusedChannel = diagnostics.channel(DIAGNOSTICS_CHANNELS.refused);
export const httpRefusedChannel = diagnostics.channel(DIAGNOSTICS_CHANNELS.httpRefused);
