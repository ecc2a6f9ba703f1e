// What a request says about where it came from: the peer's address (for the per-address limits and the
// security policy), the scheme it was made over, whether its Host is one we serve (DNS rebinding), and
// whether a browser sent it from another site (cross-site JSON-P). One place reads these headers.

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** The peer's address: the socket's, or with `trustProxy` the right-most X-Forwarded-For entry. */
export function remoteAddressOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = req.headers['x-forwarded-for'];
    const list = Array.isArray(xff) ? xff.join(',') : xff;
    if (list !== undefined) {
      // The right-most entry was written by our proxy; the ones before it by whoever the client is.
      const last = list.slice(list.lastIndexOf(',') + 1).trim();
      if (last.length > 0 && last.length <= 64) return last;
    }
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * `https:` or `http:`: the connection's own, or X-Forwarded-Proto's when a TLS-terminating proxy set it. A
 * page cannot set that header on a cross-origin request without a preflight (refused) nor on a WebSocket,
 * so trusting it here widens nothing a browser can reach.
 */
export function schemeOf(req: IncomingMessage): string {
  const proto = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase();
  if (first === 'https' || first === 'http') return `${first}:`;
  return (req.socket as TLSSocket).encrypted === true ? 'https:' : 'http:';
}

/** The origin (`scheme://host[:port]`) the request was addressed to, from Host; undefined without Host. */
export function ownOrigin(req: IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (host === undefined || host.length === 0) return undefined;
  try {
    return new URL(`${schemeOf(req)}//${host}`).origin;
  } catch {
    return undefined;
  }
}

/** True when `origin` (an Origin header, or a Referer's origin) is the origin the request was made to. */
export function isSameOrigin(origin: string, req: IncomingMessage): boolean {
  const own = ownOrigin(req);
  if (own === undefined) return false;
  try {
    // URL normalises default ports and case: `http://LOCALHOST:80` is `http://localhost`.
    return new URL(origin).origin === own;
  } catch {
    return false;
  }
}

/** The origin of the Referer header, undefined when absent or unparsable. */
export function refererOrigin(req: IncomingMessage): string | undefined {
  const referer = req.headers.referer;
  if (referer === undefined) return undefined;
  try {
    const origin = new URL(referer).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * True when a browser says it sent this from another site. Fetch Metadata first (`Sec-Fetch-Site`,
 * every current browser): `cross-site` is cross-site; `same-origin`, `same-site` and `none` (typed in the
 * address bar) are not. Without it (old browsers): an Origin, else a Referer, of another origin. Without
 * any of them (Node clients, curl, the CometD and Faye Node clients) the request is not cross-site.
 */
export function isCrossSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site') return true;
  if (site === 'same-origin' || site === 'same-site' || site === 'none') return false;
  const origin = req.headers.origin ?? refererOrigin(req);
  if (origin === undefined || origin === 'null') return origin === 'null';
  return !isSameOrigin(origin, req);
}

/** The host name of a Host header value without its port, lower-cased; `[::1]` keeps its brackets. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  const name = colon < 0 ? h : h.slice(0, colon);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || a.startsWith('127.');
}

/** Names a loopback-bound server answers to by default: they cannot be pointed at it by a DNS attacker. */
function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

/** An IP literal (`127.0.0.1`, `[::1]`): no DNS involved, so no rebinding. */
function isIpLiteral(name: string): boolean {
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  return isIP(bare) !== 0;
}

function listed(name: string, allowed: readonly string[]): boolean {
  for (const entry of allowed) {
    if (entry === name) return true;
    // webpack-dev-server's convention: `.example.com` is example.com and every subdomain.
    if (entry.startsWith('.') && (name === entry.slice(1) || name.endsWith(entry))) return true;
  }
  return false;
}

// The Host is not echoed: it is the peer's text, of any length.
const HOST_REFUSED = 'host not allowed (see the allowedHosts option)';

/**
 * The last Host header that passed hostRefusal by its name alone (an IP literal or a listed name: true
 * whatever address the request came to) and the allowedHosts list it passed against. Only a pass is
 * remembered, so a refused Host is judged in full every time.
 */
const passed: { host: string | undefined; list: readonly string[] | undefined } = {
  host: undefined,
  list: undefined,
};

/**
 * The DNS-rebinding guard (what webpack-dev-server and Vite do): a request that arrived on a loopback
 * address is served only when its Host is a loopback name, an IP literal or listed in `allowedHosts`; a
 * page on `rebind.evil.example` whose name now resolves to 127.0.0.1 is refused, cookies or not. On other
 * addresses any Host passes unless a list is given (then only the list and IP literals). 'all' disables it.
 * Returns the refusal reason, or undefined when the request may go on.
 */
export function hostRefusal(
  req: IncomingMessage,
  allowedHosts: readonly string[] | 'all',
): string | undefined {
  if (allowedHosts === 'all') return undefined;
  const host = req.headers.host;
  // RFC 9112 3.2: a request without Host is a 400 at the HTTP layer already; HTTP/1.0 may omit it.
  if (host === undefined || host.length === 0) return undefined;
  // Every request of a client carries the same Host: one that passed by its name alone is not parsed again.
  if (host === passed.host && allowedHosts === passed.list) return undefined;
  const name = hostName(host);
  if (isIpLiteral(name) || listed(name, allowedHosts)) {
    passed.host = host;
    passed.list = allowedHosts;
    return undefined;
  }
  if (isLoopbackAddress(req.socket.localAddress)) {
    return isLoopbackName(name) ? undefined : HOST_REFUSED;
  }
  return allowedHosts.length === 0 ? undefined : HOST_REFUSED;
}
