// The one error table (Bayeux §3.14): every protocol failure is reply data `code:args:message`, built here,
// never an exception across the wire. Strings follow what CometD's server really sends
// (BayeuxServerImpl.java), so CometD's and Faye's clients understand them; clients act on `advice`, not on
// the code (reference §1.5 "interop trap").
//
// §3.14 grammar: error = code ":" args ":" message | code "::" message; code = 3 digits;
// args = string *( "," string ); string = *( alphanum | mark | " " | "/" | "*" | "." ).

/**
 * The table. `code` is the 3-digit Bayeux code; `message` the stable snake_case text after the last colon.
 * Where an entry takes args, the comment says which.
 */
export const BAYEUX_ERRORS = {
  /** Unknown, expired or disconnected client, or a message without clientId (CometD refuses unconnected use). */
  sessionUnknown: { code: 402, message: 'session_unknown' },
  /** The security policy refused the handshake. */
  handshakeDenied: { code: 403, message: 'handshake_denied' },
  /** The handshake failed for another reason (extension dropped it, engine failure). */
  handshakeFailed: { code: 403, message: 'handshake_failed' },
  /** No version in common: args = the server's version. (Faye's table: 300 "Version mismatch".) */
  versionMismatch: { code: 300, message: 'version_mismatch' },
  /** No connection type in common, or a connect over a type not offered: args = the server's types. */
  connectionTypesNotSupported: { code: 301, message: 'connection_types_not_supported' },
  /** Publish refused: args = reason, e.g. `denied_by_security_policy`. */
  publishDenied: { code: 403, message: 'publish_denied' },
  /** Subscribe refused (also `/meta/**` subscriptions): args = reason. */
  subscribeDenied: { code: 403, message: 'subscribe_denied' },
  /** subscribe/unsubscribe without `subscription`. */
  subscriptionMissing: { code: 403, message: 'subscription_missing' },
  /** A subscription that is not a valid name or trailing-wildcard pattern. */
  subscriptionInvalid: { code: 403, message: 'subscription_invalid' },
  /** The client already holds the maximum number of subscriptions: args = the limit. */
  subscriptionsExceeded: { code: 403, message: 'subscriptions_exceeded' },
  subscribeFailed: { code: 403, message: 'subscribe_failed' },
  unsubscribeFailed: { code: 403, message: 'unsubscribe_failed' },
  /** A message without a `channel` field (§3.1 MUST). */
  channelMissing: { code: 400, message: 'channel_missing' },
  /** A channel outside the grammar, a wildcard publish, or a `/meta/` channel other than the exact five. */
  channelInvalid: { code: 405, message: 'channel_invalid' },
  /** A channel or subscription with more segments than allowed: args = the limit (maxChannelSegments). */
  channelTooDeep: { code: 400, message: 'channel_too_deep' },
  /**
   * Too many handshakes per second: args = the scope (`connection` or `address`) and the limit. Sent with
   * back-off advice (`reconnect: 'handshake'`, an interval), as the window clears within a second.
   */
  handshakeRateExceeded: { code: 403, message: 'handshake_rate_exceeded' },
  /** Too many live sessions: args = the scope (`server` or `address`) and the limit. */
  sessionsExceeded: { code: 403, message: 'sessions_exceeded' },
  /** A cross-site JSON-P (callback-polling) request whose origin is not in the `cors` list. */
  crossSiteDenied: { code: 403, message: 'cross_site_denied' },
  /** An `id` that is not a short alphanumeric-ish string. */
  messageIdInvalid: { code: 405, message: 'message_id_invalid' },
  /** A required field is absent: args = the field name (`version`, `connectionType`, `data`, ...). */
  fieldMissing: { code: 400, message: 'field_missing' },
  /** A field of the wrong type or shape: args = the field name. */
  fieldInvalid: { code: 400, message: 'field_invalid' },
  /** The message could not be understood at all (not an object). */
  badRequest: { code: 400, message: 'bad_request' },
  /** More messages in one request than allowed: args = the limit. */
  tooManyMessages: { code: 400, message: 'too_many_messages' },
  /** An extension dropped the message (returned null). */
  messageDeleted: { code: 404, message: 'message_deleted' },
  /** A `/service/` handler threw or rejected. */
  serviceFailed: { code: 500, message: 'service_failed' },
  /** Anything else that went wrong on the server (engine failure). */
  internalError: { code: 500, message: 'internal_error' },
} as const satisfies Record<string, { code: number; message: string }>;

/** Stable literal identifying a table entry, for code that branches on the kind of failure. */
export type BayeuxErrorKind = keyof typeof BAYEUX_ERRORS;

/** Reasons used as args of `publish_denied` / `subscribe_denied`. */
export const DENIAL_REASONS = {
  securityPolicy: 'denied_by_security_policy',
  metaChannel: 'meta_channel',
} as const;

// §3.14 `string`: anything else would break the `code:args:message` framing (":" and "," above all).
const UNSAFE_ARG = /[^A-Za-z0-9\-_!~()$@ /*.]/g;

/** Makes one argument safe for the wire: characters outside §3.14's `string` become "_". */
export function sanitizeErrorArg(arg: string): string {
  return arg.replace(UNSAFE_ARG, '_');
}

/** A Bayeux error: a 3-digit code, arguments and a message; `toString()` is the wire string. */
export class BayeuxError extends Error {
  /** The 3-digit Bayeux code (§3.14), e.g. 402. */
  readonly code: number;
  readonly args: readonly string[];
  /** The table entry when the error came from the table or matched one when parsed; undefined otherwise. */
  readonly kind: BayeuxErrorKind | undefined;

  constructor(code: number, args: readonly string[], message: string, kind?: BayeuxErrorKind) {
    super(message);
    this.name = 'BayeuxError';
    this.code = code;
    this.args = args;
    this.kind = kind;
  }

  /** The §3.14 wire form: `402::session_unknown`, `403:denied_by_security_policy:publish_denied`. */
  override toString(): string {
    return `${this.code}:${this.args.join(',')}:${this.message}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Builds the table entry `kind` with sanitised `args`. */
export function bayeuxError(kind: BayeuxErrorKind, ...args: string[]): BayeuxError {
  const entry = BAYEUX_ERRORS[kind];
  return new BayeuxError(entry.code, args.map(sanitizeErrorArg), entry.message, kind);
}

/** The wire string for table entry `kind`: `errorString('sessionUnknown')` is `402::session_unknown`. */
export function errorString(kind: BayeuxErrorKind, ...args: string[]): string {
  return bayeuxError(kind, ...args).toString();
}

const WIRE_ERROR = /^(\d{3}):([^:]*):([\s\S]*)$/;

/**
 * Parses an `error` field from any server (CometD `402::session_unknown`, Faye `401:abc:Unknown client`,
 * Salesforce `403::Unknown client`). The message is everything after the second colon, so colons in it
 * survive. Returns undefined for anything not shaped like §3.14; never throws.
 */
export function parseError(wire: unknown): BayeuxError | undefined {
  if (typeof wire !== 'string') return undefined;
  const m = WIRE_ERROR.exec(wire);
  if (m === null) return undefined;
  const code = Number(m[1]);
  const argText = m[2] as string;
  const message = m[3] as string;
  const args = argText === '' ? [] : argText.split(',');
  return new BayeuxError(code, args, message, kindOf(code, message));
}

function kindOf(code: number, message: string): BayeuxErrorKind | undefined {
  for (const kind of Object.keys(BAYEUX_ERRORS) as BayeuxErrorKind[]) {
    const entry = BAYEUX_ERRORS[kind];
    if (entry.code === code && entry.message === message) return kind;
  }
  return undefined;
}
