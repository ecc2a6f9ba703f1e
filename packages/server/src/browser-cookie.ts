// The BAYEUX_BROWSER cookie (CometD, reference §2.2): identifies one browser so the server can count the
// long polls it holds and move extra tabs to short polling with `multiple-clients` advice (Bayeux §3.6.3).
// HttpOnly (scripts cannot read it), SameSite=Lax, Secure when served over TLS.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

export const BROWSER_COOKIE = 'BAYEUX_BROWSER';

/** Shortest and longest browser id accepted from a cookie (ours are 22 characters: 128 bits, base64url). */
const MIN_ID = 16;
const MAX_ID = 64;

/** `^[A-Za-z0-9_-]{16,64}$` as a loop over the characters: read on every connect, no RegExp run. */
function isBrowserId(value: string): boolean {
  const length = value.length;
  if (length < MIN_ID || length > MAX_ID) return false;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x30 && c <= 0x39) || // 0-9
      c === 0x5f || // _
      c === 0x2d; // -
    if (!ok) return false;
  }
  return true;
}

/**
 * The browser id from the request's Cookie header, if present and well formed. Read on every connect (the
 * per-browser hold count): scanned in place, pair by pair (RFC 6265 4.2.1: `name=value` pairs separated by
 * `;` and optional spaces), with no split array and no slice per pair; the first pair of that name wins.
 */
export function browserIdOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  const length = header.length;
  let start = 0;
  while (start < length) {
    let end = header.indexOf(';', start);
    if (end < 0) end = length;
    let i = start;
    while (i < end && (header.charCodeAt(i) === 0x20 || header.charCodeAt(i) === 0x09)) i++;
    if (header.startsWith(BROWSER_COOKIE, i)) {
      let eq = i + BROWSER_COOKIE.length;
      while (eq < end && (header.charCodeAt(eq) === 0x20 || header.charCodeAt(eq) === 0x09)) eq++;
      if (eq < end && header.charCodeAt(eq) === 0x3d /* = */) {
        const value = header.slice(eq + 1, end).trim();
        return isBrowserId(value) ? value : undefined;
      }
    }
    start = end + 1;
  }
  return undefined;
}

/** A fresh browser id: 128 random bits, base64url. */
export function newBrowserId(): string {
  return randomBytes(16).toString('base64url');
}

/** The Set-Cookie header value for `id`. */
export function browserCookie(id: string, secure: boolean): string {
  return `${BROWSER_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** Returns the request's browser id, issuing a cookie on `res` when the request had none. */
export function ensureBrowserId(req: IncomingMessage, res: ServerResponse): string {
  const existing = browserIdOf(req);
  if (existing !== undefined) return existing;
  const id = newBrowserId();
  const secure = (req.socket as TLSSocket).encrypted === true;
  res.appendHeader('Set-Cookie', browserCookie(id, secure));
  return id;
}
