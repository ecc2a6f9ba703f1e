// Every limit of the component stack, defined once. Each is a named option of the layer that enforces it
// (see the README table); these are the defaults.

export const DEFAULTS = Object.freeze({
  /** IoServer: most TCP connections open at once; one more is closed at accept. */
  maxConnections: 10_000,
  /** IoServer: ms close() waits for connections to end before destroying them. */
  closeTimeout: 5_000,
  /** IoServer with TLS: ms from TCP accept to a finished TLS handshake. */
  tlsHandshakeTimeout: 10_000,
  /** HttpServer: largest request head (request line + header lines, as Node counts it); 431 above. */
  maxHeaderSize: 16 * 1024,
  /** HttpServer: largest request body read by HttpRequest.body(); 413 above. */
  maxBodySize: 1024 * 1024,
  /** HttpServer: ms HttpRequest.body() waits for the whole body; 408 after. */
  bodyTimeout: 30_000,
  /** HttpServer: ms from TCP open to a complete first request head; 408 after. */
  headersTimeout: 10_000,
  /** WsServer: largest message in bytes (inflated size with permessage-deflate); close 1009 above. */
  maxPayload: 1024 * 1024,
  /** WsServer: ms between keep-alive pings (Ratchet's enableKeepAlive: 30 s); a peer that missed one is closed. */
  keepAlive: 30_000,
  /**
   * WsServer: unread output in bytes (the socket's bufferedAmount plus the message being sent) a connection
   * may hold; a send past it closes the connection with 1008 instead of queueing (a peer that never reads
   * while a bridge or broadcast forwards a flood). Above the websocket layer's 4 MiB maxBufferedAmount, which
   * only pauses reading and fails the connection after its 30 s backpressureTimeout.
   */
  maxSendBuffer: 8 * 1024 * 1024,
  /** WsServer: messages that may arrive while an async onOpen runs; close 1008 above. */
  maxPendingMessages: 64,
  /** IpBlackList: most addresses and ranges held. */
  maxBlockedEntries: 10_000,
  /** Router: most routes. */
  maxRoutes: 1_000,
  /** MemorySessionStore: most sessions kept (least recently used evicted). */
  maxSessions: 10_000,
  /** MemorySessionStore: largest session, as JSON bytes; save() rejects above. */
  maxSessionBytes: 64 * 1024,
  /** MemorySessionStore: all sessions together, as JSON bytes (least recently used evicted). */
  maxStoreBytes: 64 * 1024 * 1024,
  /** MemorySessionStore: ms a session lives without being loaded or saved. */
  sessionTtl: 24 * 60 * 60 * 1000,
} as const);

/** Reads a positive integer option or its default; a bad value is a TypeError at construction. */
export function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`pushwire components: ${name} must be a positive integer (got ${String(value)})`);
  }
  return value;
}
