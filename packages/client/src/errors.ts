// Client errors are data with a stable literal `code` (STYLE.md: errors carry a code a caller can switch on).
// Server refusals keep the Bayeux error string parsed per Bayeux §3.14: `code ":" args ":" message`.

import { BayeuxError, type Message, parseError } from '@pushwire/bayeux';

/** Local failures the client reports, each with a stable code. */
export const CLIENT_ERROR_CODES = {
  /** A request got no reply within its timeout (advice.timeout + maxNetworkDelay for connects). */
  CLIENT_TIMEOUT: 'CLIENT_TIMEOUT',
  /** The client was disconnected (by the app, or by advice `reconnect: none`) before the operation finished. */
  CLIENT_DISCONNECTED: 'CLIENT_DISCONNECTED',
  /**
   * The operation waited `sessionTimeout` ms without the client getting a session (server down, wrong URL,
   * refused handshake). `cause` is the last connection failure, itself a ClientError with its own code.
   */
  CLIENT_NO_SESSION: 'CLIENT_NO_SESSION',
  /** The bounded queue of publishes made while disconnected is full (option `maxQueuedPublishes`). */
  CLIENT_QUEUE_FULL: 'CLIENT_QUEUE_FULL',
  /** A queued publish passed its deadline (option `publishTimeout`) before it could be sent. */
  CLIENT_PUBLISH_EXPIRED: 'CLIENT_PUBLISH_EXPIRED',
  /** No transport in `transports` is both usable here and supported by the server. */
  CLIENT_NO_TRANSPORT: 'CLIENT_NO_TRANSPORT',
  /** The server sent something that is not a valid Bayeux message (bad JSON, missing fields, bad channel). */
  CLIENT_BAD_MESSAGE: 'CLIENT_BAD_MESSAGE',
  /** Nothing accepts connections at the URL's host and port (ECONNREFUSED): server down or wrong port. */
  CLIENT_CONNECTION_REFUSED: 'CLIENT_CONNECTION_REFUSED',
  /** The request failed without an HTTP response: unknown host, connection reset, TLS, offline. */
  CLIENT_NETWORK: 'CLIENT_NETWORK',
  /** The server answered with an HTTP error status (`status`): 404 is usually a wrong URL path. */
  CLIENT_HTTP_STATUS: 'CLIENT_HTTP_STATUS',
  /**
   * A browser request to another origin failed without a response the page may read: the server sends
   * no CORS headers for this origin (or is unreachable; a browser does not tell which). The client falls
   * back to callback-polling when it is enabled.
   */
  CLIENT_CORS: 'CLIENT_CORS',
  /** The server refused the handshake (`cause` is the ServerRefusal with the Bayeux error and reply). */
  CLIENT_HANDSHAKE_DENIED: 'CLIENT_HANDSHAKE_DENIED',
  /** The server refused a /meta/connect and advised `retry` or `none` (`cause`: the ServerRefusal). */
  CLIENT_CONNECT_DENIED: 'CLIENT_CONNECT_DENIED',
  /**
   * The server no longer knows the session (it restarted, or the session expired: advice `handshake`,
   * e.g. `402::session_unknown`); the client re-handshakes and re-subscribes. `cause`: the ServerRefusal.
   */
  CLIENT_SESSION_LOST: 'CLIENT_SESSION_LOST',
  /** A websocket could not open, or closed (`closeCode` when the close carried one). */
  CLIENT_WEBSOCKET: 'CLIENT_WEBSOCKET',
  /** Any other transport-level failure (transport closed, no transport selected, send failed). */
  CLIENT_TRANSPORT: 'CLIENT_TRANSPORT',
  /** A message could not be sent because it is too large for the transport (e.g. a JSONP URL). */
  CLIENT_MESSAGE_TOO_LARGE: 'CLIENT_MESSAGE_TOO_LARGE',
  /** A channel name the client refuses before sending (bad grammar, /meta/**, wildcard publish). */
  CLIENT_INVALID_CHANNEL: 'CLIENT_INVALID_CHANNEL',
  /** An extension hook threw or rejected. */
  CLIENT_EXTENSION: 'CLIENT_EXTENSION',
} as const;
export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

/** Codes of failures of the network or the server's HTTP/websocket endpoint (not of a message). */
const NETWORK_CODES: ReadonlySet<ClientErrorCode> = new Set<ClientErrorCode>([
  'CLIENT_TIMEOUT',
  'CLIENT_CONNECTION_REFUSED',
  'CLIENT_NETWORK',
  'CLIENT_HTTP_STATUS',
  'CLIENT_CORS',
  'CLIENT_WEBSOCKET',
  'CLIENT_TRANSPORT',
]);

/** True for a ClientError that says the network or the endpoint failed, so the request may be retried. */
export function isNetworkError(err: unknown): err is ClientError {
  return err instanceof ClientError && NETWORK_CODES.has(err.code);
}

/** The optional details of a ClientError. */
export interface ClientErrorDetails {
  /** The underlying error (a fetch TypeError, a ServerRefusal, the last connection failure...). */
  cause?: unknown;
  /** Ids of the messages this error is about, when it concerns only part of a batch. */
  messageIds?: readonly string[];
  /** The messages certainly never reached the server (see `ClientError.unsent`). Default false. */
  unsent?: boolean;
  /** CLIENT_HTTP_STATUS: the HTTP status code. */
  status?: number;
  /** CLIENT_WEBSOCKET: the close code, when the socket closed with one. */
  closeCode?: number;
}

export class ClientError extends Error {
  readonly code: ClientErrorCode;
  override readonly cause: unknown;
  /** Ids of the messages this error is about, when it concerns only part of a batch. */
  readonly messageIds: readonly string[] | undefined;
  /**
   * True when the messages certainly never reached the server (nothing was written: no transport, socket
   * never opened, connection refused), so sending them again cannot duplicate them. False when unknown.
   */
  readonly unsent: boolean;
  /** CLIENT_HTTP_STATUS: the HTTP status the server answered. */
  readonly status: number | undefined;
  /** CLIENT_WEBSOCKET: the websocket close code, when there was one. */
  readonly closeCode: number | undefined;
  constructor(code: ClientErrorCode, message: string, details: ClientErrorDetails = {}) {
    super(message);
    this.name = 'ClientError';
    this.code = code;
    this.cause = details.cause;
    this.messageIds = details.messageIds;
    this.unsent = details.unsent ?? false;
    this.status = details.status;
    this.closeCode = details.closeCode;
  }
}

/** The same failure, marked as certainly not delivered (see `ClientError.unsent`). */
export function asUnsent(err: unknown, messageIds?: readonly string[]): ClientError {
  if (err instanceof ClientError) {
    return new ClientError(err.code, err.message, {
      cause: err.cause,
      messageIds: messageIds ?? err.messageIds,
      unsent: true,
      status: err.status,
      closeCode: err.closeCode,
    });
  }
  return new ClientError('CLIENT_TRANSPORT', String(err), { cause: err, messageIds, unsent: true });
}

/** A connection-level refusal (`code`) as a ClientError whose `cause` is the ServerRefusal of `reply`. */
export function refused(code: ClientErrorCode, what: string, reply: Message): ClientError {
  const refusal = new ServerRefusal(reply);
  const reason = typeof reply.error === 'string' && reply.error !== '' ? reply.error : 'no reason given';
  return new ClientError(code, `${what}: ${reason}`, { cause: refusal });
}

/** Any failure as a ClientError (a non-ClientError becomes CLIENT_TRANSPORT with it as `cause`). */
export function toClientError(err: unknown): ClientError {
  if (err instanceof ClientError) return err;
  return new ClientError('CLIENT_TRANSPORT', err instanceof Error ? err.message : String(err), {
    cause: err,
  });
}

/**
 * A refusal from the server: an unsuccessful reply, as the shared `BayeuxError` of `@pushwire/bayeux`
 * (3-digit `code`, `args`, `message`) plus the `reply` itself. Servers that send no parsable §3.14 error
 * string get code 0 and the raw text as message.
 */
export class ServerRefusal extends BayeuxError {
  readonly reply: Message;
  constructor(reply: Message) {
    const parsed = parseError(reply.error);
    const text =
      typeof reply.error === 'string' && reply.error !== '' ? reply.error : `${reply.channel} refused`;
    super(parsed?.code ?? 0, parsed?.args ?? [], parsed?.message ?? text, parsed?.kind);
    this.name = 'ServerRefusal';
    this.reply = reply;
  }
}

/**
 * A refusal because the server lost our session. Advice decides (Bayeux §3.6.1); the 401/402 codes are
 * only a fallback for servers that put no advice on non-connect replies (Faye 401, CometD 402).
 */
export function sessionLost(reply: Message): boolean {
  if (reply.advice?.reconnect === 'handshake') return true;
  const code = parseError(reply.error)?.code;
  return code === 401 || code === 402;
}
