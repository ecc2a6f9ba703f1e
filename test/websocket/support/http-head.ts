// Reading and parsing an HTTP/1.1 message head by hand (RFC 9112 2.1), for the raw handshake endpoints.
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';

export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 1.3 / 4.2.2: base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');
}

export interface HttpHead {
  /** The start line: "HTTP/1.1 101 Switching Protocols" or "GET /path HTTP/1.1". */
  startLine: string;
  /** Header names lower-cased; repeated headers joined with ", " (RFC 9110 5.3). */
  headers: Record<string, string>;
  /** Bytes that followed the blank line (the first frames, if the peer sent them at once). */
  rest: Buffer;
}

export function parseHead(head: string, rest: Buffer): HttpHead {
  const lines = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { startLine: lines[0] ?? '', headers, rest };
}

/**
 * Read from `socket` until the end of an HTTP head. Resolves with the head; rejects if the socket closes
 * first or the head exceeds `maxBytes`. The 'data' listener is removed so the caller can take over.
 */
export function readHead(socket: Socket, timeoutMs = 5_000, maxBytes = 64 * 1024): Promise<HttpHead> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        cleanup();
        socket.pause();
        resolve(parseHead(buf.subarray(0, end).toString('latin1'), buf.subarray(end + 4)));
      } else if (buf.length > maxBytes) {
        cleanup();
        reject(new Error(`HTTP head larger than ${maxBytes} bytes`));
      }
    };
    const onClose = (): void => {
      cleanup();
      reject(
        new Error(
          `connection closed before the end of the HTTP head (got ${JSON.stringify(buf.toString('latin1'))})`,
        ),
      );
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no complete HTTP head within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/** The status code of a response start line, or NaN. */
export function statusOf(head: HttpHead): number {
  return Number(head.startLine.split(' ')[1]);
}

/** A comma-separated header value as lower-cased tokens (RFC 9110 5.6.1). */
export function tokens(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t.length > 0);
}
