// The narrow interface every transport implements (STYLE.md: environments behind narrow interfaces).
// A transport moves arrays of Bayeux messages; it knows nothing of handshakes, subscriptions or retries.

import type { ConnectionType, Message } from '@pushwire/bayeux';
import type { CookieJar } from '../cookies.js';
import type { ResolvedOptions } from '../options.js';

/** What a transport reports back to the client. */
export interface TransportSink {
  /** Messages received: replies for HTTP transports, anything for websocket. Never throws. */
  receive(messages: unknown, transport: Transport): void;
  /** The transport broke (socket closed, etc.); every request in flight on it is lost. */
  failed(transport: Transport, error: Error): void;
  /** Bad input that does not break the transport (e.g. one malformed websocket message). */
  report(error: Error): void;
}

export interface Transport {
  /** Bayeux connectionType sent in /meta/connect. */
  readonly connectionType: ConnectionType;
  /**
   * Sends one batch. Resolves once written (websocket) or once the reply has been handed to
   * `sink.receive` (HTTP). Rejects with a ClientError if the batch could not be delivered.
   */
  send(messages: Message[], timeoutMs: number): Promise<void>;
  /** Releases sockets and in-flight requests. Idempotent. */
  close(): void;
}

export interface TransportInit {
  url: string;
  options: ResolvedOptions;
  sink: TransportSink;
  /** Node only: cookies shared by every transport of one client (null in browsers or when disabled). */
  cookies: CookieJar | null;
}
