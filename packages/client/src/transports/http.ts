// Shared HTTP plumbing for long-polling and callback-polling: timeouts through AbortController and the
// Bayeux §1.4.1 two-connection rule (one held /meta/connect plus one request for everything else).

import { META, type Message } from '@pushwire/bayeux';
import type { CookieJar } from '../cookies.js';
import { ClientError } from '../errors.js';

/** Runs non-connect batches one after another so at most 2 requests are open (Bayeux §1.4.1, §1.4.6). */
export class RequestLane {
  #tail: Promise<unknown> = Promise.resolve();

  run(messages: Message[], fn: () => Promise<void>): Promise<void> {
    // The held connect gets its own lane: it may stay open for advice.timeout.
    if (messages.length === 1 && messages[0]?.channel === META.connect) return fn();
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}

/** Calls `fetch` with a timeout, mapping every failure to a ClientError whose code names the cause. */
export async function fetchText(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  signals: Set<AbortController>,
  jar: CookieJar | null,
): Promise<string> {
  const controller = new AbortController();
  signals.add(controller);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const cookie = jar?.header();
    const headers =
      cookie === undefined ? init.headers : { ...(init.headers as Record<string, string>), Cookie: cookie };
    let response: Response;
    try {
      response = await fetchImpl(url, { ...init, headers, signal: controller.signal });
    } catch (err) {
      if (timedOut) throw new ClientError('CLIENT_TIMEOUT', `no reply from ${url} within ${timeoutMs} ms`);
      if (controller.signal.aborted)
        throw new ClientError('CLIENT_TRANSPORT', 'transport closed', { cause: err });
      throw requestFailure(url, err);
    }
    jar?.store(response.headers.getSetCookie?.() ?? []);
    const text = await response.text();
    if (!response.ok) {
      const status = response.status;
      throw new ClientError('CLIENT_HTTP_STATUS', `HTTP ${status}${statusHint(status)} from ${url}`, {
        status,
      });
    }
    return text;
  } catch (err) {
    if (err instanceof ClientError) throw err;
    // The body stopped arriving (timeout or a reset after the status line).
    if (timedOut)
      throw new ClientError('CLIENT_TIMEOUT', `no reply from ${url} within ${timeoutMs} ms`, { cause: err });
    throw new ClientError('CLIENT_NETWORK', `reply from ${url} broke off`, { cause: err });
  } finally {
    clearTimeout(timer);
    signals.delete(controller);
  }
}

/** What a 4xx/5xx most often means for a Bayeux endpoint, so the message says what to check. */
function statusHint(status: number): string {
  if (status === 404) return ' (no Bayeux endpoint at this path: check the URL)';
  if (status === 403) return ' (forbidden)';
  if (status >= 500) return ' (server error)';
  return '';
}

/**
 * A fetch that got no response at all. Node's fetch says why in `cause.code` (ECONNREFUSED, ENOTFOUND,
 * ECONNRESET...). A browser says nothing (a bare TypeError), so a failure of a cross-origin request is
 * reported as CORS: that is the likely cause when the page's origin is not allowed, and the client can
 * fall back to callback-polling (negotiate.ts fallbackFor), which needs no CORS.
 */
function requestFailure(url: string, err: unknown): ClientError {
  // A refused connection carried no byte of the request: safe to send again (ClientError.unsent).
  if (connectionRefused(err)) {
    return new ClientError(
      'CLIENT_CONNECTION_REFUSED',
      `connection to ${hostOf(url)} refused: nothing listens there (server down, or wrong host or port)`,
      { cause: err, unsent: true },
    );
  }
  const code = causeCode(err);
  if (code !== undefined) {
    const what =
      code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `cannot resolve ${hostOf(url)}`
        : `request to ${url} failed`;
    return new ClientError('CLIENT_NETWORK', `${what} (${code})`, { cause: err });
  }
  const page = pageOrigin();
  if (page !== undefined && originOf(url) !== page) {
    return new ClientError(
      'CLIENT_CORS',
      `request from origin ${page} to ${url} failed with no readable response: the server does not allow ` +
        'this origin (CORS), or it is unreachable',
      { cause: err },
    );
  }
  const detail = err instanceof Error && err.message !== '' ? `: ${err.message}` : '';
  return new ClientError('CLIENT_NETWORK', `request to ${url} failed${detail}`, { cause: err });
}

/** Node's fetch reports ECONNREFUSED as `cause` (an AggregateError's `errors` when several addresses failed). */
function connectionRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown; errors?: { code?: unknown }[] } } | null)?.cause;
  if (cause === undefined || cause === null) return false;
  if (cause.code === 'ECONNREFUSED') return true;
  return (
    Array.isArray(cause.errors) &&
    cause.errors.length > 0 &&
    cause.errors.every((e) => e?.code === 'ECONNREFUSED')
  );
}

function causeCode(err: unknown): string | undefined {
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The page's origin in a browser (`"null"` for file:// pages), undefined outside a document. */
export function pageOrigin(): string | undefined {
  if (typeof document === 'undefined') return undefined;
  const origin = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  return typeof origin === 'string' ? origin : undefined;
}

/** The origin of `url`, resolved against the page's address as the browser resolves it. */
function originOf(url: string): string {
  const base = (globalThis as { location?: { href?: unknown } }).location?.href;
  try {
    return new URL(url, typeof base === 'string' ? base : undefined).origin;
  } catch {
    return url;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function resolveFetch(custom: typeof fetch | undefined): typeof fetch {
  const impl = custom ?? globalThis.fetch;
  if (typeof impl !== 'function') {
    throw new ClientError('CLIENT_NO_TRANSPORT', 'no fetch implementation available');
  }
  return impl;
}
