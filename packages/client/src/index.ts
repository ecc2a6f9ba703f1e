export type { Ext, Message } from '@pushwire/bayeux';
export { BayeuxError } from '@pushwire/bayeux';
export { Client, type PresenceResult, type SubscribeOptions } from './client.js';
export {
  CLIENT_ERROR_CODES,
  ClientError,
  type ClientErrorCode,
  type ClientErrorDetails,
  ServerRefusal,
} from './errors.js';
export { type AckExtension, type AckExtensionOptions, ackExtension } from './ext/ack.js';
export { type TimesyncExtension, type TimesyncOptions, timesyncExtension } from './ext/timesync.js';
export type { Extension, ExtensionHook } from './extensions.js';
export type { HistoryPosition, Recovery } from './history.js';
export { DEFAULT_TRANSPORTS, TRANSPORTS, type TransportName } from './negotiate.js';
export type { ClientOptions } from './options.js';
export type { PublishOptions, RemoteCallOptions } from './publisher.js';
export { Subscription } from './subscription.js';
export type { WebSocketConstructor, WebSocketLike } from './transports/websocket-api.js';
export type {
  Ack,
  ChannelMap,
  ChannelOf,
  ChannelPattern,
  ClientEvents,
  ClientState,
  ConnectedInfo,
  ConnectingInfo,
  DisconnectedInfo,
  Handler,
  PayloadOf,
  ReconnectingInfo,
} from './types.js';
