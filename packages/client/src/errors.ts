// Client errors are data with a stable literal `code` (STYLE.md: errors carry a code a caller can switch on).
// Server refusals keep the Bayeux error string parsed per Bayeux §3.14: `code ":" args ":" message`.

import { BayeuxError, type Message, parseError } from '@pushwire/bayeux';

/** Local failures the client reports, each with a stable code. */
export const CLIENT_ERROR_CODES = {
  /** A request got no reply within its timeout (advice.timeout + maxNetworkDelay for connects). */
  CLIENT_TIMEOUT: 'CLIENT_TIMEOUT',
  /** The client was disconnected (by the app, or by advice `reconnect: none`) before the operation finished. */
  CLIENT_DISCONNECTED: 'CLIENT_DISCONNECTED',
  /** The bounded queue of publishes made while disconnected is full (option `maxQueuedPublishes`). */
  CLIENT_QUEUE_FULL: 'CLIENT_QUEUE_FULL',
  /** A queued publish passed its deadline (option `publishTimeout`) before it could be sent. */
  CLIENT_PUBLISH_EXPIRED: 'CLIENT_PUBLISH_EXPIRED',
  /** No transport in `transports` is both usable here and supported by the server. */
  CLIENT_NO_TRANSPORT: 'CLIENT_NO_TRANSPORT',
  /** The server sent something that is not a valid Bayeux message (bad JSON, missing fields, bad channel). */
  CLIENT_BAD_MESSAGE: 'CLIENT_BAD_MESSAGE',
  /** A transport-level failure: connection refused, HTTP error status, socket closed. */
  CLIENT_TRANSPORT: 'CLIENT_TRANSPORT',
  /** A message could not be sent because it is too large for the transport (e.g. a JSONP URL). */
  CLIENT_MESSAGE_TOO_LARGE: 'CLIENT_MESSAGE_TOO_LARGE',
  /** A channel name the client refuses before sending (bad grammar, /meta/**, wildcard publish). */
  CLIENT_INVALID_CHANNEL: 'CLIENT_INVALID_CHANNEL',
  /** An extension hook threw or rejected. */
  CLIENT_EXTENSION: 'CLIENT_EXTENSION',
} as const;
export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

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
  constructor(
    code: ClientErrorCode,
    message: string,
    cause?: unknown,
    messageIds?: readonly string[],
    unsent = false,
  ) {
    super(message);
    this.name = 'ClientError';
    this.code = code;
    this.cause = cause;
    this.messageIds = messageIds;
    this.unsent = unsent;
  }
}

/** The same failure, marked as certainly not delivered (see `ClientError.unsent`). */
export function asUnsent(err: unknown, messageIds?: readonly string[]): ClientError {
  if (err instanceof ClientError) {
    return new ClientError(err.code, err.message, err.cause, messageIds ?? err.messageIds, true);
  }
  return new ClientError('CLIENT_TRANSPORT', String(err), err, messageIds, true);
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
