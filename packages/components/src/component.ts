// The component interfaces (Ratchet's ComponentInterface / MessageComponentInterface /
// HttpServerInterface). Every handler may be sync or async: a thrown error and a rejected promise both
// reach `onError` of the same component.

import type { Connection } from './connection.js';
import type { HttpRequest } from './http-request.js';

export type Awaitable = void | Promise<void>;

/** A message as a component receives it: text as a string, binary as a Buffer. */
export type Message = string | Buffer;

export interface Component {
  onOpen?(conn: Connection, request?: HttpRequest): Awaitable;
  onMessage?(conn: Connection, message: Message): Awaitable;
  onClose?(conn: Connection): Awaitable;
  onError?(conn: Connection, error: Error): Awaitable;
  /**
   * Raw level only: asked by the IoServer when a TCP connection is accepted, before any byte is read
   * (before TLS too). False closes the socket at once; no Connection is made. IpBlackList answers it.
   */
  admit?(remoteAddress: string): boolean;
  /** WebSocket subprotocols this component speaks (Ratchet's WsServerInterface::getSubProtocols). */
  readonly subprotocols?: readonly string[];
}

/**
 * A component behind HttpServer (Ratchet's HttpServerInterface): opened with the parsed request of the
 * connection. WsServer, Router, OriginCheck and SessionProvider are HTTP components; so is any HTTP
 * controller routed by the App (it answers with `request.respond()` or `conn.send()` + `conn.close()`).
 */
export interface HttpComponent extends Component {
  /** Marks the HTTP level (interfaces are erased at run time; App.route looks for it). */
  readonly httpComponent: true;
  onOpen(conn: Connection, request: HttpRequest): Awaitable;
}

export function isHttpComponent(component: Component): component is HttpComponent {
  return (component as Partial<HttpComponent>).httpComponent === true;
}
