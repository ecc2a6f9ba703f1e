// The server side of the opening handshake (RFC 6455 4.2.1 reading the client's request, 4.2.2 answering).
// Pure functions over the parsed request; server.ts does the I/O.
import { Buffer } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptKey, isValidKey } from './handshake-key.js';
import { isToken } from './http-token.js';

export interface HandshakeRefusal {
  ok: false;
  status: number;
  message: string;
  headers?: Record<string, string>;
}

export interface ValidHandshake {
  ok: true;
  key: string;
  /** Subprotocols offered, in the client's order of preference. */
  protocols: Set<string>;
  /** The raw Sec-WebSocket-Extensions offer, if any. */
  extensions: string | undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Splits an HTTP list header (RFC 7230 7: "#rule") into trimmed, non-empty elements. */
export function parseList(value: string | undefined): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const part of value.split(',')) {
    const item = part.trim();
    if (item !== '') out.push(item);
  }
  return out;
}

function hasToken(value: string | undefined, token: string): boolean {
  for (const item of parseList(value)) if (item.toLowerCase() === token) return true;
  return false;
}

function refuse(status: number, message: string, headers?: Record<string, string>): HandshakeRefusal {
  return headers === undefined ? { ok: false, status, message } : { ok: false, status, message, headers };
}

/** RFC 6455 4.2.1: everything the server must check before it may answer 101. */
export function validateRequest(req: IncomingMessage): HandshakeRefusal | ValidHandshake {
  // Item 1: "An HTTP/1.1 or higher GET request".
  if (req.method !== 'GET') return refuse(405, 'the opening handshake is a GET request', { Allow: 'GET' });
  if (req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor < 1)) {
    return refuse(400, 'the opening handshake needs HTTP/1.1 or higher');
  }
  // Item 2: a Host header.
  if (header(req, 'host') === undefined) return refuse(400, 'missing Host header');
  // Items 3 and 4: token lists, matched case-insensitively.
  if (!hasToken(header(req, 'upgrade'), 'websocket'))
    return refuse(400, 'Upgrade header must include "websocket"');
  if (!hasToken(header(req, 'connection'), 'upgrade'))
    return refuse(400, 'Connection header must include "Upgrade"');
  // Item 6 and 4.4: an unsupported version gets 426 and the versions we speak.
  if (header(req, 'sec-websocket-version') !== '13') {
    return refuse(426, 'unsupported WebSocket version', { 'Sec-WebSocket-Version': '13' });
  }
  // Item 5: a base64-encoded 16-byte nonce.
  const key = header(req, 'sec-websocket-key')?.trim();
  if (key === undefined || !isValidKey(key)) return refuse(400, 'missing or invalid Sec-WebSocket-Key');
  // Item 8: subprotocols are tokens, no duplicates.
  const protocols = new Set<string>();
  for (const p of parseList(header(req, 'sec-websocket-protocol'))) {
    if (!isToken(p) || protocols.has(p)) return refuse(400, 'invalid Sec-WebSocket-Protocol header');
    protocols.add(p);
  }
  return { ok: true, key, protocols, extensions: header(req, 'sec-websocket-extensions') };
}

/** Size of the request head as received, for the maxHeaderSize check on sockets we did not parse. */
export function requestHeadSize(req: IncomingMessage): number {
  let size = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i++) size += raw[i]!.length + 2;
  return size;
}

/** RFC 6455 4.2.2 item 5: the 101 answer; `extra` comes from the server's 'headers' event. */
export function buildAcceptResponse(
  key: string,
  protocol: string,
  extensions: string,
  extra: string[] = [],
): string {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(key)}`,
  ];
  if (protocol !== '') lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (extensions !== '') lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  for (const line of extra) lines.push(line);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Answers a refused handshake with a complete HTTP response and closes the socket; it is never upgraded. */
export function writeRefusal(
  socket: Duplex,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (socket.writable) {
    const lines = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
      'Connection: close',
      'Content-Type: text/plain; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(message)}`,
    ];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n${message}`);
  }
  const s = socket as Duplex & { destroySoon?: () => void };
  if (typeof s.destroySoon === 'function') s.destroySoon();
  else socket.end(() => socket.destroy());
}
