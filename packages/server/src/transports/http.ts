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

/** Serves a request already known to be for the mount. */
export async function serveHttp(
  core: Core,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams | string,
): Promise<void> {
  const address = remoteAddressOf(req, core.options.trustProxy);
  const badHost = hostRefusal(req, core.options.allowedHosts);
  if (badHost !== undefined) {
    core.stats.count('host', address);
    refuse(res, 403, badHost);
    return;
  }
  if (!core.admission.openConnection(address)) {
    // RFC 9110 15.6.4: 503 with Retry-After, rather than every held request starving the process.
    refuse(res, 503, 'too many connections', {
      'Retry-After': String(RETRY_AFTER_SECONDS),
      Connection: 'close',
    });
    return;
  }
  // `on`: 'close' fires once per response; `once` would wrap the listener (http-batch.ts).
  res.on('close', () => core.admission.closeConnection());
  try {
    if (req.method === 'OPTIONS') {
      answerPreflight(req, res, core.options.cors);
      return;
    }
    if (req.method === 'POST') {
      if (!originAllowed(req, core.options.cors))
        throw new HttpError(403, 'ORIGIN_REFUSED', 'origin not allowed');
      // Returned, not awaited: nothing stays suspended here while a connect is held (http-batch.ts).
      return serveLongPolling(core, req, res).catch((err: unknown) =>
        answerFailure(core, req, res, err, address),
      );
    }
    if (req.method === 'GET' && core.options.transports.includes('callback-polling')) {
      // JSON-P is cross-origin by design (a <script> tag sends no Origin); the hardening is in the reply.
      const params = typeof query === 'string' ? new URLSearchParams(query) : query;
      await serveCallbackPolling(core, req, res, params);
      return;
    }
    throw new HttpError(405, 'BAD_METHOD', 'use POST (long-polling) or GET (callback-polling)');
  } catch (err) {
    answerFailure(core, req, res, err, address);
  }
}

/** An HttpError becomes its short HTTP answer; anything else is reported and answered 500. */
function answerFailure(
  core: Core,
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  address: string,
): void {
  if (err instanceof HttpError && err.code === 'ABORTED') {
    // The peer hung up mid-body: network weather, counted (server.stats), never an 'error' event.
    core.stats.count('aborted-body', address);
    res.destroy();
    return;
  }
  if (err instanceof HttpError && err.code === 'BODY_TIMEOUT') {
    core.stats.count('body-timeout', address);
    refuse(res, 408, err.message, { Connection: 'close' });
    // The rest of the body may never come: the socket goes once the 408 is out.
    res.once('finish', () => req.socket.destroy());
    return;
  }
  if (err instanceof HttpError) {
    const extra: Record<string, string> = err.status === 405 ? { Allow: 'POST, GET, OPTIONS' } : {};
    // After a 413 the rest of the body is discarded; close so the client does not pipeline behind it.
    if (err.status === 413) extra.Connection = 'close';
    refuse(res, err.status, err.message, extra);
    return;
  }
  core.reportError(err);
  refuse(res, 500, 'internal error');
}
