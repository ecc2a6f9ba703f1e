// Typed channels: `Client<Channels>` where a map from channel name to payload type types handlers and
// publishes. Wildcard patterns (`/chat/*`, `/chat/**`) get the union of the payloads of the channels they
// can match. With the default map every channel carries `unknown`.

import type { Message } from '@pushwire/bayeux';
import type { ClientError } from './errors.js';
import type { Recovery } from './history.js';
import type { TransportName } from './negotiate.js';

/** Channel name -> payload type. */
// `object`, not Record<string, unknown>: interfaces have no index signature and must be accepted.
export type ChannelMap = object;

/** Channels of the map, plus wildcard patterns over them. */
export type ChannelPattern<M extends ChannelMap> =
  | (keyof M & string)
  | (string extends keyof M ? string : WildcardOf<keyof M & string>);

type Parents<C extends string> = C extends `${infer Head}/${infer Tail}`
  ? Tail extends `${string}/${string}`
    ? `${Head}/${Parents<Tail> extends infer P extends string ? P : never}` | Head
    : Head
  : never;

type WildcardOf<C extends string> = `${Parents<C>}/*` | `${Parents<C>}/**`;

/** The payload type a handler for `P` receives. */
export type PayloadOf<M extends ChannelMap, P extends string> = P extends keyof M
  ? M[P]
  : P extends `${infer Prefix}/**`
    ? M[Extract<keyof M, `${Prefix}/${string}`>]
    : P extends `${infer Prefix}/*`
      ? M[Extract<keyof M, `${Prefix}/${string}`>]
      : unknown;

/** The concrete channel a handler for `P` can see (wildcard subscribers learn the real channel). */
export type ChannelOf<M extends ChannelMap, P extends string> = string extends keyof M
  ? string
  : P extends keyof M
    ? P
    : P extends `${infer Prefix}/*`
      ? Extract<keyof M, `${Prefix}/${string}`>
      : P extends `${infer Prefix}/**`
        ? Extract<keyof M, `${Prefix}/${string}`>
        : string;

export type Handler<M extends ChannelMap, P extends string> = (
  data: PayloadOf<M, P>,
  channel: ChannelOf<M, P>,
  message: Message,
) => void;

/** The server's acknowledgement of a publish (Bayeux §5.1.2). */
export interface Ack {
  channel: string;
  id: string;
  successful: true;
  ext?: Record<string, unknown>;
}

/**
 * What the client is doing, for a status line:
 * - `disconnected`: not trying (before the first operation with `autoConnect`, after disconnect(), or after
 *   the client gave up: advice `none`, handshake denied, no usable transport).
 * - `connecting`: a handshake or connect attempt is in flight.
 * - `connected`: a /meta/connect succeeded; messages flow.
 * - `reconnecting`: an attempt failed; the next one starts after a delay (backoff or advice.interval).
 */
export type ClientState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

/** `connecting`: an attempt starts. */
export interface ConnectingInfo {
  /** 0 for the first attempt, then the number of failed attempts before this one. */
  attempt: number;
  /** The transport this attempt uses. */
  transport: TransportName;
}

/** `connected`: a /meta/connect succeeded after the client was not connected. */
export interface ConnectedInfo {
  transport: TransportName;
  clientId: string;
}

/** `reconnecting`: an attempt failed, the next starts in `delayMs`. */
export interface ReconnectingInfo {
  /** Failed attempts since the last successful connect (1 after the first failure). */
  attempt: number;
  /** Ms until the next attempt (backoff with jitter, plus the server's advice.interval). */
  delayMs: number;
  /** Why: a ClientError with a stable code (see CLIENT_ERROR_CODES); also emitted as `error`. */
  cause: ClientError;
}

/** `disconnected`: the client stopped. */
export interface DisconnectedInfo {
  /** null after `disconnect()`; otherwise why the client gave up. */
  cause: Error | null;
}

export interface ClientEvents {
  /** `client.state` changed. */
  state: [state: ClientState, previous: ClientState];
  /** A handshake or connect attempt starts (every attempt, also while already `connecting`). */
  connecting: [info: ConnectingInfo];
  connected: [info: ConnectedInfo];
  /** An attempt failed; the client retries after `info.delayMs`. */
  reconnecting: [info: ReconnectingInfo];
  disconnected: [info: DisconnectedInfo];
  'transport:up': [transport: TransportName];
  'transport:down': [transport: TransportName];
  /** A successful handshake reply; `reestablished` is true for every handshake after the first. */
  handshake: [reply: Message, reestablished: boolean];
  /** The server acknowledged a /meta/subscribe for `channel` (first subscription or after a re-handshake). */
  subscribed: [channel: string];
  /**
   * A re-subscribe to a channel with history asked to recover from the last position (issue 9), before
   * `subscribed`. `recovered: true`: every missed message follows (each once, in order); false: some were
   * lost (another epoch after a server restart, too old, too many) and the app should reload its state.
   */
  recovery: [channel: string, recovery: Recovery];
  /**
   * Why the client cannot connect (each failed attempt: refused, HTTP status, CORS, handshake denied,
   * websocket failure, as a ClientError with a stable `code`), bad input from the server, refused
   * re-subscriptions, handler and extension failures. Never thrown.
   */
  error: [error: Error];
}
