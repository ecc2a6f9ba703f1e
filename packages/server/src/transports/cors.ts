// CORS for long-polling (Fetch standard, CORS protocol). Same-origin only by default: a browser request
// whose Origin is another site is refused with 403 before anything is processed (no cross-site publish).
// With `cors.origins` the listed origins (or any, with '*') get the Origin echoed back (never a literal
// '*', so credentials work), and OPTIONS preflights are answered. Same origin means scheme, host and port
// (RFC 6454 5): `https://app.example` is not the origin of a plain-HTTP request to app.example.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsOptions } from '../options.js';
import { isSameOrigin as sameOrigin } from '../request-info.js';

const ALLOW_HEADERS = 'Accept, Authorization, Content-Type, Pragma, X-Requested-With';

/** True when the request may be served: no Origin (non-browser), same origin, or allowed by `cors`. */
export function originAllowed(req: IncomingMessage, cors: CorsOptions | undefined): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (sameOrigin(origin, req)) return true;
  if (cors === undefined) return false;
  return cors.origins === '*' || cors.origins.includes(origin);
}

/** Adds the response headers for an allowed cross-origin request. */
export function applyCorsHeaders(
  req: IncomingMessage,
  res: ServerResponse,
  cors: CorsOptions | undefined,
): void {
  const origin = req.headers.origin;
  if (cors === undefined || origin === undefined || sameOrigin(origin, req)) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  if (cors.credentials === true) res.setHeader('Access-Control-Allow-Credentials', 'true');
}

/** Answers an OPTIONS preflight: 204 with the allowances when the origin is allowed, else 403. */
export function answerPreflight(
  req: IncomingMessage,
  res: ServerResponse,
  cors: CorsOptions | undefined,
): void {
  if (!originAllowed(req, cors) || req.headers.origin === undefined) {
    res.writeHead(req.headers.origin === undefined ? 204 : 403, { 'Content-Length': '0' });
    res.end();
    return;
  }
  applyCorsHeaders(req, res, cors);
  res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
  res.setHeader('Access-Control-Max-Age', '86400');
  res.writeHead(204, { 'Content-Length': '0' });
  res.end();
}
