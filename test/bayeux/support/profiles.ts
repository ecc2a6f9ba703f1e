// Where the two servers under test are allowed to differ. OUR server is held to the issue and DESIGN.md;
// Faye 1.4.3 is a real Bayeux server used to check that the scenarios themselves are right, and where it
// departs from the spec or from CometD practice the difference is written down here (with its source
// in node_modules/faye/src) instead of loosening what we assert against ours.

import type { Advice } from '@pushwire/bayeux';
import type { ServerKind } from './servers.js';

export interface ServerProfile {
  /** Error text for an unknown or expired client, and the advice that must come with it. */
  unknownClient: { error: RegExp; advice: Advice };
  /** The handshake reply offers only the intersection with the request (Faye offers all it has). */
  handshakeOffersIntersection: boolean;
  /** The first connect after a handshake is answered at once even without advice (CometD practice). */
  firstConnectImmediate: boolean;
  /** A newer /meta/connect releases the held one at once (Faye answers both together later). */
  newerConnectReleasesOlder: boolean;
  /** A connect that shares its HTTP request with other messages is answered at once (not held). */
  connectWithOthersImmediate: boolean;
  /** Broadcast copies keep the publisher's message `id` (Faye strips only clientId). */
  broadcastKeepsPublisherId: boolean;
  /** Other messages in a handshake's request are ignored (Bayeux §4.1.1); Faye processes them all. */
  handshakeTravelsAlone: boolean;
  /** JSONP callback names longer than 64 characters are refused (Faye has no length cap). */
  jsonpCallbackLengthCapped: boolean;
  /** A handshake whose minimumVersion is above 1.0 fails (Bayeux §3.3); Faye ignores minimumVersion. */
  checksMinimumVersion: boolean;
  /** A second held poll from one browser (BAYEUX_BROWSER cookie) gets multiple-clients advice (§8.1). */
  multipleClientsAdvice: boolean;
  /** A subscribe to /service/** succeeds without being recorded (Faye refuses it: isSubscribable). */
  serviceSubscribeSucceeds: boolean;
  /** A publish to /service/** reaches no remote subscriber, not even one on /** (Faye expands it). */
  serviceNeverBroadcast: boolean;
  /** `/service/echo` is served (ours: addService; Faye has no services). */
  serviceEcho: boolean;
  /** On /meta/disconnect the server closes the WebSocket instead of answering the held connect. */
  wsClosedInsteadOfReleasingConnect: boolean;
  /** Server options that make a session expire quickly in the expiry scenario. */
  expiry: { maxInterval?: number; timeout: number };
}

export const PROFILES: Record<ServerKind, ServerProfile> = {
  ours: {
    unknownClient: { error: /^402::session_unknown$/, advice: { reconnect: 'handshake', interval: 0 } },
    handshakeOffersIntersection: true,
    firstConnectImmediate: true,
    newerConnectReleasesOlder: true,
    connectWithOthersImmediate: true,
    broadcastKeepsPublisherId: false,
    handshakeTravelsAlone: true,
    checksMinimumVersion: true,
    multipleClientsAdvice: true,
    jsonpCallbackLengthCapped: true,
    serviceSubscribeSucceeds: true,
    serviceNeverBroadcast: true,
    serviceEcho: true,
    wsClosedInsteadOfReleasingConnect: false,
    expiry: { maxInterval: 300, timeout: 2000 },
  },
  faye: {
    // src/protocol/error.js clientUnknown = 401; src/protocol/server.js _advize adds only reconnect.
    unknownClient: { error: /^401:[^:]*:Unknown client$/, advice: { reconnect: 'handshake' } },
    // src/protocol/server.js handshake(): supportedConnectionTypes = constants.CONNECTION_TYPES.
    handshakeOffersIntersection: false,
    // src/engines/connection.js holds every connect without advice.timeout until its timeout.
    firstConnectImmediate: false,
    newerConnectReleasesOlder: false,
    // src/protocol/server.js process() answers a request when every message in it has replied.
    connectWithOthersImmediate: false,
    // src/engines/connection.js deliver() deletes clientId only.
    broadcastKeepsPublisherId: true,
    // src/protocol/server.js process() handles every message of the request.
    handshakeTravelsAlone: false,
    // src/protocol/server.js handshake() never reads minimumVersion.
    checksMinimumVersion: false,
    // Faye sets no browser cookie and holds every poll.
    multipleClientsAdvice: false,
    // src/adapters/node_adapter.js VALID_JSONP_CALLBACK has no length limit.
    jsonpCallbackLengthCapped: false,
    // src/protocol/channel.js isSubscribable() refuses /meta/** and /service/**.
    serviceSubscribeSucceeds: false,
    // src/engines/proxy.js publish(): Channel.expand('/service/x') includes '/**'.
    serviceNeverBroadcast: false,
    serviceEcho: false,
    // src/engines/proxy.js flushConnection() closes the socket before the connect reply is written.
    wsClosedInsteadOfReleasingConnect: true,
    // src/engines/memory.js ping(): a client is destroyed 2 x timeout after its last connect.
    expiry: { timeout: 300 },
  },
};
