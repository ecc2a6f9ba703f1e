// Counters of ordinary network weather and of limits doing their job: a client that hung up mid-POST, a
// refused Host, a handshake past a rate limit. None of these is an internal failure (issue 8 item 7: 20,582
// aborted bodies once came out as 'error' events), so they are counted here and told on diagnostics channel
// `pushwire:bayeux:refused` ({reason, remoteAddress}), never on 'error'.

import diagnostics from 'node:diagnostics_channel';

/** Why a request, upgrade, socket or handshake was turned away or lost. */
export const REFUSAL_REASONS = {
  /** The peer closed the connection before its request body arrived in full. */
  abortedBody: 'aborted-body',
  /** The body did not arrive within bodyTimeout (408). */
  bodyTimeout: 'body-timeout',
  /** Host header not allowed (allowedHosts, DNS rebinding). */
  host: 'host',
  /** Past maxConnections (503). */
  connections: 'connections',
  /** A WebSocket that named no session within handshakeDeadline (1008). */
  handshakeDeadline: 'handshake-deadline',
  /** A handshake past maxHandshakesPerConnection or maxHandshakesPerAddress. */
  handshakeRate: 'handshake-rate',
  /** A handshake past maxSessions or maxSessionsPerAddress. */
  sessions: 'sessions',
  /** A cross-site callback-polling request from an origin not in `cors`. */
  crossSite: 'cross-site',
} as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[keyof typeof REFUSAL_REASONS];

export const REFUSED_CHANNEL = 'pushwire:bayeux:refused';
const refusedChannel = diagnostics.channel(REFUSED_CHANNEL);

/** What `server.stats` reports: one count per reason since the server started. */
export type ServerStats = Record<RefusalReason, number>;

export class StatsCounter {
  readonly #counts: ServerStats = {
    'aborted-body': 0,
    'body-timeout': 0,
    host: 0,
    connections: 0,
    'handshake-deadline': 0,
    'handshake-rate': 0,
    sessions: 0,
    'cross-site': 0,
  };

  count(reason: RefusalReason, remoteAddress?: string): void {
    this.#counts[reason]++;
    if (refusedChannel.hasSubscribers) refusedChannel.publish({ reason, remoteAddress });
  }

  /** A copy: callers cannot change the counts. */
  snapshot(): ServerStats {
    return { ...this.#counts };
  }
}
