// The parsed HTTP request a connection was opened with (Ratchet's PSR-7 request), and the one way every
// HTTP-level layer answers it: `respond()` writes a complete response on a plain request, or a raw
// HTTP/1.1 response on an upgrade socket, then closes. Refusals (404, 403, 405, 426, ...) go through here.

import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { readBody, HttpError as ServerHttpError } from '@pushwire/server';
import { parseCookies } from './cookies.js';

/** Where the response goes: Node's ServerResponse, or the socket of an upgrade request. */
export type Exchange =
  | { kind: 'request'; res: ServerResponse }
  | { kind: 'upgrade'; socket: Duplex; head: Buffer };

export const kExchange = Symbol('pushwire.components.exchange');

/** A failure with the HTTP status to answer. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: 'BODY_TOO_LARGE' | 'BODY_ABORTED' | 'BODY_TIMEOUT';
  constructor(status: number, code: HttpError['code'], message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;

function checkHeader(name: string, value: string): void {
  // No CR/LF in names or values: nothing a caller passes can split the response (header injection).
  if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) {
    throw new TypeError(`pushwire components: invalid response header '${name}'`);
  }
}

export class HttpRequest {
  readonly method: string;
  /** The request target as sent (path and query). */
  readonly url: string;
  /** The path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly cookies: Readonly<Record<string, string>>;
  readonly httpVersion: string;
  /** Node's request object (Node-specific escape hatch). */
  readonly raw: IncomingMessage;
  /** Path parameters (`/rooms/:room`), filled by the Router. */
  params: Record<string, string> = {};
  readonly #exchange: Exchange;
  readonly #maxBodySize: number;
  readonly #bodyTimeout: number;
  readonly #responseHeaders: [string, string][] = [];
  #responded = false;
  #body: Promise<Buffer> | undefined;

  constructor(raw: IncomingMessage, exchange: Exchange, maxBodySize: number, bodyTimeout = 30_000) {
    this.raw = raw;
    this.method = raw.method ?? 'GET';
    this.url = raw.url ?? '/';
    const q = this.url.indexOf('?');
    this.path = q === -1 ? this.url : this.url.slice(0, q);
    this.query = new URLSearchParams(q === -1 ? '' : this.url.slice(q + 1));
    this.headers = raw.headers;
    this.cookies = parseCookies(raw.headers.cookie);
    this.httpVersion = raw.httpVersion;
    this.#exchange = exchange;
    this.#maxBodySize = maxBodySize;
    this.#bodyTimeout = bodyTimeout;
  }

  /** True for a WebSocket (or other) upgrade request. */
  get upgrade(): boolean {
    return this.#exchange.kind === 'upgrade';
  }

  /** True once an answer was written (respond(), or the WebSocket handshake). */
  get responded(): boolean {
    return this.#responded;
  }

  get [kExchange](): Exchange {
    return this.#exchange;
  }

  /** Marks the request answered by a layer that writes its own response (the WebSocket 101). */
  markResponded(): void {
    this.#responded = true;
  }

  /** Adds a header to the response, whichever it is: the 101 of a WebSocket handshake or respond()'s. */
  setHeader(name: string, value: string): this {
    checkHeader(name, value);
    this.#responseHeaders.push([name, value]);
    return this;
  }

  /** Headers added with setHeader, in order. */
  get responseHeaders(): readonly (readonly [string, string])[] {
    return this.#responseHeaders;
  }

  /**
   * Reads the request body, at most `maxBodySize` bytes (HttpServer option): past it the request is
   * answered 413 and the promise rejects with HttpError BODY_TOO_LARGE; a body that has not fully arrived
   * within `bodyTimeout` is answered 408 (BODY_TIMEOUT, a slow-body client). Upgrade requests have no body.
   */
  body(): Promise<Buffer> {
    this.#body ??= this.#readBody();
    return this.#body;
  }

  async #readBody(): Promise<Buffer> {
    if (this.#exchange.kind === 'upgrade') return Buffer.alloc(0);
    // The bounded read is the server's (one owner for the 413 / 408 / abort logic); this layer answers
    // the refusal itself and keeps its own error vocabulary.
    try {
      return await readBody(this.raw, this.#maxBodySize, this.#bodyTimeout);
    } catch (err) {
      throw this.#refuseBody(err);
    }
  }

  #refuseBody(err: unknown): unknown {
    if (!(err instanceof ServerHttpError)) return err;
    if (err.code === 'BODY_TOO_LARGE') {
      const message = `request body larger than ${this.#maxBodySize} bytes`;
      this.respond(413, message);
      return new HttpError(413, 'BODY_TOO_LARGE', message);
    }
    if (err.code === 'BODY_TIMEOUT') {
      this.respond(408, 'request body timeout');
      return new HttpError(
        408,
        'BODY_TIMEOUT',
        `the request body did not arrive within ${this.#bodyTimeout} ms`,
      );
    }
    return new HttpError(400, 'BODY_ABORTED', 'the request ended before its body');
  }

  /**
   * Answers with `status` and a text body (or a Buffer), then closes the connection (one exchange per
   * connection, as Ratchet's HttpServer). A second call does nothing.
   */
  respond(status: number, body: string | Buffer = '', headers: Record<string, string> = {}): void {
    if (this.#responded) return;
    this.#responded = true;
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    const all: [string, string][] = [...this.#responseHeaders];
    const names = new Set(all.map(([n]) => n.toLowerCase()));
    for (const [name, value] of Object.entries(headers)) {
      checkHeader(name, value);
      all.push([name, value]);
      names.add(name.toLowerCase());
    }
    if (!names.has('content-type')) all.push(['Content-Type', 'text/plain; charset=utf-8']);
    all.push(['Content-Length', String(payload.length)], ['Connection', 'close']);
    const exchange = this.#exchange;
    if (exchange.kind === 'request') {
      const res = exchange.res;
      if (res.headersSent || res.writableEnded) return;
      res.shouldKeepAlive = false;
      res.writeHead(status, all.flat());
      res.end(payload);
      return;
    }
    const socket = exchange.socket;
    if (!socket.writable) return;
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    for (const [name, value] of all) head += `${name}: ${value}\r\n`;
    socket.end(Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), payload]));
  }
}
