// The BAYEUX_BROWSER cookie (CometD, reference §2.2): identifies one browser so the server can count the
// long polls it holds and move extra tabs to short polling with `multiple-clients` advice (Bayeux §3.6.3).
// HttpOnly (scripts cannot read it), SameSite=Lax, Secure when served over TLS.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

export const BROWSER_COOKIE = 'BAYEUX_BROWSER';

const VALUE = /^[A-Za-z0-9_-]{16,64}$/;

/** The browser id from the request's Cookie header, if present and well formed. */
export function browserIdOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== BROWSER_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return VALUE.test(value) ? value : undefined;
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
