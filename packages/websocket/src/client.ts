// The client side of the opening handshake (RFC 6455 4.1): an HTTP/1.1 GET with Upgrade over node:http or
// node:https, then the checks the client MUST make on the server's 101 answer before the connection opens.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { AttachOptions } from './connection-io.js';
import { checkServerExtensions, clientOffer } from './deflate/handshake.js';
import type { PerMessageDeflateOptions } from './deflate/params.js';
import { WebSocketError } from './errors.js';
import { acceptKey, generateKey } from './handshake-key.js';
import { isToken } from './http-token.js';
import { checkPositive, DEFAULTS, type LimitOptions, resolveLimits } from './options.js';

export interface ClientOptions extends LimitOptions {
  /** Extra request headers (the handshake's own headers cannot be overridden). */
  headers?: Record<string, string>;
  /** The Origin header to send (RFC 6455 4.1 item 8; browsers always send one, Node clients may). */
  origin?: string;
  /** Milliseconds for the whole opening handshake; default 10 s. */
  handshakeTimeout?: number;
  /** Offer permessage-deflate (RFC 7692); off by default. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** TLS options for wss:// (ca, rejectUnauthorized, servername, ...). */
  tls?: TlsOptions;
}

/**
 * The transitions the opening handshake drives on the connection it opens (websocket.ts
 * implements them; typed here so this module does not import the connection).
 */
export interface HandshakeTarget {
  _handshakeStarted(abort: (err: Error) => void): void;
  _handshakeCompleted(socket: Duplex, head: Buffer, options: AttachOptions): void;
  _handshakeFailed(err: Error): void;
}

function parseAddress(address: string | URL): URL {
  let url: URL;
  try {
    url = address instanceof URL ? new URL(address.href) : new URL(address);
  } catch {
    throw new WebSocketError('WS_ERR_INVALID_URL', `invalid URL: ${String(address)}`);
  }
  // WHATWG WebSocket constructor: http(s) is mapped to ws(s); anything else and fragments are errors.
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new WebSocketError('WS_ERR_INVALID_URL', `the URL scheme must be ws: or wss:, not ${url.protocol}`);
  }
  if (url.hash !== '') throw new WebSocketError('WS_ERR_INVALID_URL', 'a WebSocket URL has no fragment');
  return url;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Starts the handshake for `ws`; returns the normalised URL. */
export function connectClient(
  ws: HandshakeTarget,
  address: string | URL,
  protocols: string[],
  options: ClientOptions,
): string {
  const url = parseAddress(address);
  const seen = new Set<string>();
  for (const p of protocols) {
    // RFC 6455 4.1 item 10: subprotocol names are tokens (RFC 7230 3.2.6).
    if (!isToken(p) || seen.has(p))
      throw new SyntaxError(`invalid or duplicate subprotocol: ${JSON.stringify(p)}`);
    seen.add(p);
  }
  const limits = resolveLimits(options);
  const handshakeTimeout = checkPositive(
    'handshakeTimeout',
    options.handshakeTimeout,
    DEFAULTS.handshakeTimeout,
  );
  const key = generateKey();
  const headers: Record<string, string> = { ...options.headers };
  headers.Connection = 'Upgrade';
  headers.Upgrade = 'websocket';
  headers['Sec-WebSocket-Version'] = '13';
  headers['Sec-WebSocket-Key'] = key;
  if (protocols.length > 0) headers['Sec-WebSocket-Protocol'] = protocols.join(', ');
  if (options.origin !== undefined) headers.Origin = options.origin;
  const offer = clientOffer(options.perMessageDeflate, limits.maxPayload);
  if (offer !== null) headers['Sec-WebSocket-Extensions'] = offer.header;

  const secure = url.protocol === 'wss:';
  const request = secure ? https.request : http.request;
  const req = request({
    ...(secure ? options.tls : undefined),
    method: 'GET',
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers,
  });

  const timer = setTimeout(
    () => fail(new WebSocketError('WS_ERR_HANDSHAKE_TIMEOUT', 'opening handshake timed out')),
    handshakeTimeout,
  );
  let done = false;
  const fail = (err: Error, socket?: Duplex): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    req.destroy();
    socket?.destroy();
    offer?.deflate.cleanup();
    ws._handshakeFailed(err);
  };
  ws._handshakeStarted(fail);

  req.on('error', (err) => fail(new WebSocketError('WS_ERR_HANDSHAKE_FAILED', err.message)));
  req.on('response', (res) => {
    res.resume();
    fail(new WebSocketError('WS_ERR_HANDSHAKE_FAILED', `unexpected server response: ${res.statusCode}`));
  });
  req.on('upgrade', (res, socket, head) => {
    // RFC 6455 4.1, the client's checks of the server's handshake; any failure fails the connection.
    const upgrade = headerValue(res.headers.upgrade);
    if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') {
      return fail(new WebSocketError('WS_ERR_HANDSHAKE_FAILED', 'missing or invalid Upgrade header'), socket);
    }
    if (headerValue(res.headers['sec-websocket-accept']) !== acceptKey(key)) {
      return fail(new WebSocketError('WS_ERR_HANDSHAKE_FAILED', 'invalid Sec-WebSocket-Accept'), socket);
    }
    const protocol = headerValue(res.headers['sec-websocket-protocol']);
    if (protocol !== undefined && !protocols.includes(protocol)) {
      return fail(
        new WebSocketError('WS_ERR_HANDSHAKE_FAILED', `server chose a subprotocol not offered: ${protocol}`),
        socket,
      );
    }
    const extensionsHeader = headerValue(res.headers['sec-websocket-extensions']);
    let extensions = '';
    if (extensionsHeader !== undefined && extensionsHeader.trim() !== '') {
      try {
        extensions = checkServerExtensions(extensionsHeader, offer?.deflate ?? null);
      } catch (err) {
        return fail(err as Error, socket);
      }
    }
    const deflate = extensions === '' ? null : offer!.deflate;
    if (deflate === null) offer?.deflate.cleanup();
    done = true;
    clearTimeout(timer);
    ws._handshakeCompleted(socket, head, {
      isServer: false,
      limits,
      deflate,
      protocol: protocol ?? '',
      extensions,
    });
  });
  req.end();
  return url.href;
}
