export { App, type AppOptions, type AppRouteOptions } from './app.js';
export { AttributeKey, Attributes } from './attributes.js';
export {
  BayeuxBridge,
  type BayeuxBridgeOptions,
  type BridgeFormat,
  type LocalSessionSource,
} from './bayeux-bridge.js';
export {
  type Awaitable,
  type Component,
  type HttpComponent,
  isHttpComponent,
  type Message,
} from './component.js';
export { Connection, type SendData } from './connection.js';
export { type CookieOptions, parseCookies, serializeCookie } from './cookies.js';
export { DIAGNOSTICS_CHANNELS } from './diagnostics.js';
export { HttpLayer } from './http-layer.js';
export { HttpError, HttpRequest } from './http-request.js';
export { type HttpMount, HttpServer, type HttpServerOptions } from './http-server.js';
export { IoServer, type IoServerOptions } from './io-server.js';
export { IpBlackList, type IpBlackListOptions, parseBlockEntry } from './ip-blacklist.js';
export { DEFAULTS } from './options.js';
export { OriginCheck, type OriginCheckOptions } from './origin-check.js';
export {
  REDIS_SESSION_PREFIX,
  type RedisSessionClient,
  RedisSessionStore,
  type RedisSessionStoreOptions,
} from './redis-session-store.js';
export { type Route, type RouteOptions, Router, type RouterOptions } from './router.js';
export {
  MemorySessionStore,
  type MemorySessionStoreOptions,
  newSessionId,
  Session,
  type SessionData,
  SessionError,
  type SessionErrorCode,
  type SessionStore,
} from './session.js';
export { SessionProvider, type SessionProviderOptions } from './session-provider.js';
export { broadcast, CLOSE_CODES, SLOW_CONSUMER_REASON, WsServer, type WsServerOptions } from './ws-server.js';
