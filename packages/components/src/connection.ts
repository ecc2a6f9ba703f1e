// One client connection as every layer sees it (Ratchet's ConnectionInterface plus its property bag).
// The IoServer creates it per TCP (or TLS) socket; the layers above change what `send`/`close` mean
// (raw bytes, an HTTP response, WebSocket frames) through one internal transport slot, and fill in
// `request`, `session` and `protocol`. Layers keep their own per-connection state in WeakMaps: none
// writes another's fields.

import type { Socket } from 'node:net';
import { Attributes } from './attributes.js';
import type { HttpRequest } from './http-request.js';
import type { Session } from './session.js';

/** What `send` accepts: strings go out as text, everything else as binary. */
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView;

/** How the current top layer sends and closes. */
export interface ConnectionTransport {
  send(data: SendData): void;
  close(code?: number, reason?: string): void;
}

/** Internal slots (not exported from the package index): only layers of this package use them. */
export const kSetTransport = Symbol('pushwire.components.setTransport');
export const kSetRequest = Symbol('pushwire.components.setRequest');
export const kSetSession = Symbol('pushwire.components.setSession');
export const kSetProtocol = Symbol('pushwire.components.setProtocol');
export const kClaim = Symbol('pushwire.components.claim');
export const kClaimed = Symbol('pushwire.components.claimed');

/** Node reports IPv4 peers of a dual-stack listener as `::ffff:a.b.c.d`: give the IPv4 form. */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined) return '';
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : address;
}

function toBuffer(data: SendData): Buffer | string {
  if (typeof data === 'string' || Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The raw (IoServer) transport: bytes to the socket, close = end the TCP stream. */
class SocketTransport implements ConnectionTransport {
  readonly #socket: Socket;
  constructor(socket: Socket) {
    this.#socket = socket;
  }
  send(data: SendData): void {
    if (this.#socket.writable) this.#socket.write(toBuffer(data));
  }
  close(): void {
    this.#socket.end();
  }
}

export class Connection {
  /** Unique within the process (Ratchet's resourceId). */
  readonly id: number;
  /** The peer's IP address (IPv4-mapped IPv6 given as IPv4). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** True when the connection came over TLS. */
  readonly secure: boolean;
  /** The underlying TCP or TLS socket (Node-specific escape hatch; prefer send/close). */
  readonly socket: Socket;
  /** The typed attribute bag shared by every layer. */
  readonly attributes = new Attributes();
  #transport: ConnectionTransport;
  #request: HttpRequest | undefined;
  #session: Session | undefined;
  #protocol = '';
  #claimed = false;

  constructor(id: number, socket: Socket, secure: boolean) {
    this.id = id;
    this.socket = socket;
    this.secure = secure;
    this.remoteAddress = normalizeAddress(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
    this.#transport = new SocketTransport(socket);
  }

  /** The HTTP request that opened the connection (set by HttpServer). */
  get request(): HttpRequest | undefined {
    return this.#request;
  }

  /** The session (set by SessionProvider). */
  get session(): Session | undefined {
    return this.#session;
  }

  /** The negotiated WebSocket subprotocol ('' for none; set by WsServer). */
  get protocol(): string {
    return this.#protocol;
  }

  /** False once the socket is closed or closing. */
  get open(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  /** Sends text (a string) or binary data, framed by the top layer (WebSocket message, HTTP body, raw bytes). */
  send(data: SendData): this {
    this.#transport.send(data);
    return this;
  }

  /** Closes: a WebSocket close frame with `code` (default 1000) and `reason`; an HTTP response end; a TCP end. */
  close(code?: number, reason?: string): void {
    this.#transport.close(code, reason);
  }

  /** Drops the TCP connection at once (no close handshake). */
  terminate(): void {
    this.socket.destroy();
  }

  [kSetTransport](transport: ConnectionTransport): void {
    this.#transport = transport;
  }

  [kSetRequest](request: HttpRequest): void {
    this.#request = request;
  }

  [kSetSession](session: Session | undefined): void {
    this.#session = session;
  }

  [kSetProtocol](protocol: string): void {
    this.#protocol = protocol;
  }

  /** A layer that parses the stream itself (HttpServer) takes the socket: the IoServer stops reading it. */
  [kClaim](): Socket {
    this.#claimed = true;
    return this.socket;
  }

  get [kClaimed](): boolean {
    return this.#claimed;
  }
}
