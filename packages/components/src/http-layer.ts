// The shape every HTTP-level decorator shares (Router, OriginCheck, SessionProvider): it opens one inner
// component per connection and forwards that connection's later events to it, and only to it.

import type { Awaitable, HttpComponent, Message } from './component.js';
import type { Connection } from './connection.js';
import { httpRefusedChannel } from './diagnostics.js';
import type { HttpRequest } from './http-request.js';

/**
 * Refuses a connection with an HTTP status and a one-line reason, and reports it on the httpRefused
 * diagnostics channel: the one way a layer (or the WsServer) turns a request away.
 */
export function refuseHttp(
  conn: Connection,
  request: HttpRequest,
  status: number,
  message: string,
  headers?: Record<string, string>,
): void {
  if (httpRefusedChannel.hasSubscribers) httpRefusedChannel.publish({ conn, status, message });
  request.respond(status, `${message}\n`, headers);
}

export abstract class HttpLayer implements HttpComponent {
  readonly httpComponent = true as const;
  readonly #opened = new WeakMap<Connection, HttpComponent>();

  abstract onOpen(conn: Connection, request: HttpRequest): Awaitable;

  /** Opens `inner` for this connection; its promise (if any) is returned so failures reach the caller. */
  protected openInner(conn: Connection, request: HttpRequest, inner: HttpComponent): Awaitable {
    this.#opened.set(conn, inner);
    return inner.onOpen(conn, request);
  }

  /** Refuses with an HTTP status (the layer's own: 403, 404, 405, ...) and closes. */
  protected refuse(
    conn: Connection,
    request: HttpRequest,
    status: number,
    message: string,
    headers?: Record<string, string>,
  ): void {
    refuseHttp(conn, request, status, message, headers);
  }

  onMessage(conn: Connection, message: Message): Awaitable {
    return this.#opened.get(conn)?.onMessage?.(conn, message);
  }

  onClose(conn: Connection): Awaitable {
    const inner = this.#opened.get(conn);
    this.#opened.delete(conn);
    return inner?.onClose?.(conn);
  }

  onError(conn: Connection, error: Error): Awaitable {
    return this.#opened.get(conn)?.onError?.(conn, error);
  }
}
