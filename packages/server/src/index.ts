export { PRESENCE_PREFIX, presenceChannelOf } from '@pushwire/bayeux';
export type {
  Authorizer,
  AuthorizerDenial,
  AuthorizerOperation,
  AuthorizerRequest,
  AuthorizerResult,
} from './authorizers.js';
export {
  CHANNEL_DEFAULTS,
  type ChannelHistoryOptions,
  type ChannelOptions,
  type ChannelPresenceOptions,
} from './channel-features.js';
export {
  bundledClientScript,
  CLIENT_BUNDLE_EXPORT,
  ClientScriptMissingError,
  type ClientScriptSource,
  isClientScriptRequest,
  serveClientScript,
} from './client-script.js';
export * from './engine/index.js';
export type { BayeuxEventName, BayeuxEvents, BayeuxListener } from './events.js';
export { DIAGNOSTICS_CHANNELS } from './events.js';
export {
  ACK_STATE,
  ACK_TAKEN,
  type AckExtensionOptions,
  ackExtension,
  DEFAULT_MAX_UNACKED,
  DEFAULT_MAX_UNACKED_BYTES,
} from './extensions/ack.js';
export {
  bayeuxTimestamp,
  type TimestampExtensionOptions,
  timestampExtension,
} from './extensions/timestamp.js';
export { type TimesyncExtensionOptions, timesyncExtension } from './extensions/timesync.js';
export type { BayeuxExtension, DeliveryHook, ExtensionHost, OutgoingContext } from './extensions.js';
export type { ReleaseReason } from './held-connects.js';
export type { HistoryOptions, HistoryResult } from './history.js';
export {
  type LocalMessageHandler,
  LocalSession,
  type LocalSessionOptions,
  type LocalSubscribeOptions,
  type LocalSubscribeResult,
} from './local-session.js';
export type {
  BayeuxServerOptions,
  CorsOptions,
  PresenceInfoHook,
  RequestContext,
  RequestInfo,
  SecurityPolicy,
  TransportName,
} from './options.js';
export { DEFAULTS as SERVER_DEFAULTS, MAX_DELIVERY_WINDOW } from './options.js';
export {
  memberId,
  PRESENCE_SERVICE,
  type PresenceAction,
  type PresenceQueryResult,
  type PublicMember,
} from './presence.js';
// The DNS-rebinding guard, for other HTTP layers on the same port (the demo's raw WebSocket chat).
export { hostRefusal } from './request-info.js';
export { BayeuxServer, createBayeuxServer } from './server.js';
export type { ServiceContext, ServiceHandler } from './services.js';
export type { SocketBinding } from './socket-push.js';
export { REFUSAL_REASONS, REFUSED_CHANNEL, type RefusalReason, type ServerStats } from './stats.js';
export { HttpError, type HttpErrorCode, readBody } from './transports/http-body.js';
