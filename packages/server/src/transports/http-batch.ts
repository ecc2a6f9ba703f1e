// Writing HTTP replies, shared by long-polling and callback-polling: the 200 with its constant headers, the
// short refusals, the overflow replies, and whether the peer can still be written to.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ParsedBatch } from './http-body.js';

/** The replies to a request, followed by those for its messages past the count guard (each once). */
export function withOverflow(replies: string[], batch: ParsedBatch): string[] {
  if (batch.overflow.length === 0) return replies;
  for (const m of batch.overflow) replies.push(JSON.stringify(m));
  return replies;
}

/**
 * True when a reply can no longer reach the peer: the response ended or was destroyed, or its socket is
 * gone (a reset peer: `res.destroyed` stays false until the response's own 'close', a tick later, and a
 * write would go nowhere).
 */
export function responseGone(req: IncomingMessage, res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded || req.socket.destroyed;
}

/** The pairs of every 200 reply; the type (1) and the length (3) are filled per reply. */
const OK_HEADERS: string[] = [
  'Content-Type',
  '',
  'Content-Length',
  '',
  'Cache-Control',
  'no-cache, no-store',
  'Pragma',
  'no-cache',
];

/**
 * Writes a 200 reply in ONE `writeHead` with a flat header array (`[name, value, ...]`): the headers every
 * Bayeux HTTP reply carries (never cached: Cache-Control, and Pragma for HTTP/1.0 caches), the type and the
 * length. When nothing was set with `setHeader` before (no CORS, no cookie: every connect and publish of a
 * same-origin client), Node writes the array as given: no header map, no lower-cased copies, no per-call
 * validation of several setHeader calls (issue 13: they were among the top Node frames per reply). Headers
 * set before (CORS, Set-Cookie) are merged by Node as usual. `extra`: more pairs, flat.
 */
export function writeOk(
  res: ServerResponse,
  contentType: string,
  body: string,
  extra?: readonly string[],
): void {
  const length = String(Buffer.byteLength(body));
  let headers: string[];
  if (extra === undefined) {
    // Node reads the array inside writeHead and keeps none of it: one shared array, two slots per reply.
    headers = OK_HEADERS;
    headers[1] = contentType;
    headers[3] = length;
  } else {
    headers = OK_HEADERS.slice();
    headers[1] = contentType;
    headers[3] = length;
    for (const h of extra) headers.push(h);
  }
  res.writeHead(200, headers);
  res.end(body);
}

/** A short plain-text refusal (400 / 413 / 403 / 405). */
export function refuse(
  res: ServerResponse,
  status: number,
  reason: string,
  extra?: Record<string, string>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${reason}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-cache, no-store',
    ...extra,
  });
  res.end(body);
}
