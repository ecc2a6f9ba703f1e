// The HTTP router of the mount: OPTIONS preflight, POST long-polling, GET callback-polling. Requests for
// other paths are not ours (the caller passes them on). Every failure is a short HTTP answer; nothing a
// request sends can take the server down.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../core.js';
import { hostRefusal, remoteAddressOf } from '../request-info.js';
import { serveCallbackPolling } from './callback-polling.js';
import { answerPreflight, originAllowed } from './cors.js';
import { refuse } from './http-batch.js';
import { HttpError } from './http-body.js';
import { type ExchangeDone, HttpExchange } from './http-exchange.js';
import { serveLongPolling } from './long-polling.js';

/** Retry-After (seconds) of the 503 answered past maxConnections. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Splits `req.url` into path and query; undefined when the path is not the mount or the mount plus ONE
 * segment: CometD's client appends the meta message type (`/bayeux/handshake`, `/bayeux/connect`,
 * option appendMessageTypeToURL, on by default).
 */
export function matchMount(url: string | undefined, mount: string): URLSearchParams | undefined {
  const query = mountQuery(url, mount);
  return query === undefined ? undefined : new URLSearchParams(query);
}

/**
 * matchMount without parsing the query: the raw query string ('' when none), undefined when not the mount.
 * Every request is matched (twice when attached: the listener, then handle()), and only callback-polling
 * GETs read the query, so a POST never builds a URLSearchParams (issue 13, per-request allocations).
 */
export function mountQuery(url: string | undefined, mount: string): string | undefined {
  if (url === undefined) return undefined;
  if (url === mount) return ''; // every POST of a client that does not append the message type
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path !== mount) {
    const base = mount === '/' ? '/' : `${mount}/`;
    if (!path.startsWith(base) || path.indexOf('/', base.length) !== -1) return undefined;
  }
  return q < 0 ? '' : url.slice(q + 1);
}

/**
 * Serves a request already known to be for the mount. Nothing waits on it: the request's HttpExchange
 * carries it to its answer and tells `done` (server close counts them), so a held long-poll keeps no
 * promise or suspended function here.
 */
export function serveHttp(
  core: Core,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams | string,
  done?: ExchangeDone,
): void {
  const address = remoteAddressOf(req, core.options.trustProxy);
  const badHost = hostRefusal(req, core.options.allowedHosts);
  if (badHost !== undefined) {
    core.stats.count('host', address);
    refuse(res, 403, badHost);
    done?.exchangeDone();
    return;
  }
  if (!core.admission.openConnection(address)) {
    // RFC 9110 15.6.4: 503 with Retry-After, rather than every held request starving the process.
    refuse(res, 503, 'too many connections', {
      'Retry-After': String(RETRY_AFTER_SECONDS),
      Connection: 'close',
    });
    done?.exchangeDone();
    return;
  }
  // From here the exchange's 'close' listener gives the connection slot back.
  const exchange = new HttpExchange(core, req, res, address, done);
  try {
    if (req.method === 'POST') {
      if (!originAllowed(req, core.options.cors))
        throw new HttpError(403, 'ORIGIN_REFUSED', 'origin not allowed');
      serveLongPolling(core, req, exchange);
      return;
    }
    if (req.method === 'OPTIONS') {
      answerPreflight(req, res, core.options.cors);
      exchange.answered();
      return;
    }
    if (req.method === 'GET' && core.options.transports.includes('callback-polling')) {
      // JSON-P is cross-origin by design (a <script> tag sends no Origin); the hardening is in the reply.
      const params = typeof query === 'string' ? new URLSearchParams(query) : query;
      serveCallbackPolling(core, req, exchange, params);
      return;
    }
    throw new HttpError(405, 'BAD_METHOD', 'use POST (long-polling) or GET (callback-polling)');
  } catch (err) {
    exchange.fail(err);
  }
}
