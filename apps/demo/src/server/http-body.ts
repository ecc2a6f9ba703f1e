// Reads a request body into memory, bounded: a declared Content-Length over the limit is refused before a
// byte is read, and a body (chunked or lying about its length) is cut off at limit + 1 bytes.

import type { IncomingMessage } from 'node:http';

export class BodyTooLarge extends Error {
  readonly code = 'BODY_TOO_LARGE' as const;
  readonly status = 413;
  readonly limit: number;
  constructor(limit: number) {
    super(`the body is larger than ${limit} bytes`);
    this.limit = limit;
  }
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        // Keep draining (not destroying) so the 413 can still be written on this connection.
        req.resume();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (size <= limit) resolve(Buffer.concat(chunks, size));
    });
    req.once('error', reject);
  });
}
