export type { ClientOptions } from './client.js';
export {
  CLOSE_CODES,
  encodeClosePayload,
  isValidCloseCode,
  MAX_CLOSE_REASON_BYTES,
} from './close-payload.js';
export type { PerMessageDeflateOptions } from './deflate/params.js';
export * from './errors.js';
export type { WsCloseEvent, WsErrorEvent, WsEvent, WsEventListener, WsMessageEvent } from './event-target.js';
export {
  applyMask,
  encodeFrame,
  encodeFrameHeader,
  type FrameOptions,
  OPCODE,
  type Opcode,
} from './frame.js';
export { acceptKey, WEBSOCKET_GUID } from './handshake-key.js';
export { DEFAULTS } from './options.js';
export { PreparedFrame } from './prepared-frame.js';
export { type Inflater, Receiver, type ReceiverLimits, type ReceiverSink } from './receiver.js';
export { type ServerEvents, type ServerOptions, type VerifyClientInfo, WebSocketServer } from './server.js';
export { Utf8Validator } from './utf8.js';
export {
  type BinaryType,
  type SendOptions,
  WebSocket,
  type WebSocketData,
  type WebSocketEvents,
} from './websocket.js';
