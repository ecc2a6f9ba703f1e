// A raw WebSocket client: performs the RFC 6455 4.1 opening handshake by hand on a net.Socket and then
// exposes the connection as a FrameConn, so test cases can send arbitrary (also invalid) bytes to a server.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { FrameConn } from './frame-conn.js';
import { acceptKey, type HttpHead, readHead, statusOf, tokens } from './http-head.js';

export interface RawHandshakeOptions {
  path?: string;
  /** Extra header lines, e.g. { 'Sec-WebSocket-Extensions': 'permessage-deflate' }. */
  headers?: Record<string, string>;
  /** Replace the whole request head (for malformed-handshake cases); `{host}` and `{key}` are substituted. */
  rawRequest?: string;
}

export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Send a handshake request and read the response head, without judging it. */
export async function rawHandshake(
  url: string,
  options: RawHandshakeOptions = {},
): Promise<{ socket: Socket; response: HttpHead; key: string }> {
  const socket = await openSocket(url);
  socket.on('error', () => {});
  const u = new URL(url);
  const key = randomBytes(16).toString('base64');
  const host = `${u.hostname}:${u.port}`;
  let request: string;
  if (options.rawRequest !== undefined) {
    request = options.rawRequest.replaceAll('{host}', host).replaceAll('{key}', key);
  } else {
    const lines = [
      `GET ${options.path ?? (u.pathname + u.search || '/')} HTTP/1.1`,
      `Host: ${host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
      ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    ];
    request = `${lines.join('\r\n')}\r\n\r\n`;
  }
  socket.write(request, 'latin1');
  const response = await readHead(socket);
  return { socket, response, key };
}

/**
 * Open a WebSocket connection by hand and check the server's 101 answer as RFC 6455 4.1 requires of a
 * client (status 101, Upgrade/Connection tokens, the accept key).
 */
export async function rawConnect(
  url: string,
  options: RawHandshakeOptions = {},
): Promise<{ conn: FrameConn; response: HttpHead }> {
  const { socket, response, key } = await rawHandshake(url, options);
  const problems: string[] = [];
  if (statusOf(response) !== 101) problems.push(`status line ${JSON.stringify(response.startLine)}`);
  if (!tokens(response.headers.upgrade).includes('websocket')) problems.push('Upgrade header');
  if (!tokens(response.headers.connection).includes('upgrade')) problems.push('Connection header');
  if (response.headers['sec-websocket-accept'] !== acceptKey(key)) problems.push('Sec-WebSocket-Accept');
  if (problems.length > 0) {
    socket.destroy();
    throw new Error(`bad handshake response (${problems.join(', ')}): ${JSON.stringify(response)}`);
  }
  const conn = new FrameConn(socket, 'client', response.rest);
  socket.resume();
  return { conn, response };
}
