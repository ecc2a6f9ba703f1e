// Typed channels: `Client<Channels>` where a map from channel name to payload type types handlers and
// publishes. Wildcard patterns (`/chat/*`, `/chat/**`) get the union of the payloads of the channels they
// can match. With the default map every channel carries `unknown`.

import type { Message } from '@pushwire/bayeux';

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

export type ClientState = 'disconnected' | 'handshaking' | 'connected' | 'reconnecting';

export interface ClientEvents {
  disconnected: [];
  handshaking: [];
  connected: [];
  /** The client lost its connection and will retry after `delayMs`. */
  reconnecting: [delayMs: number];
  'transport:up': [transport: string];
  'transport:down': [transport: string];
  /** A successful handshake reply; `reestablished` is true for every handshake after the first. */
  handshake: [reply: Message, reestablished: boolean];
  /** The server acknowledged a /meta/subscribe for `channel` (first subscription or after a re-handshake). */
  subscribed: [channel: string];
  /** Bad input, refused re-subscriptions, handler and extension failures. Never thrown. */
  error: [error: Error];
}
