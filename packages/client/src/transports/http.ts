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

/** Calls `fetch` with a timeout, mapping every failure to a ClientError. */
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
      // A refused connection carried no byte of the request: safe to send again (ClientError.unsent).
      if (!timedOut && connectionRefused(err)) {
        throw new ClientError('CLIENT_TRANSPORT', `connection to ${url} refused`, err, undefined, true);
      }
      throw err;
    }
    jar?.store(response.headers.getSetCookie?.() ?? []);
    const text = await response.text();
    if (!response.ok) {
      throw new ClientError('CLIENT_TRANSPORT', `HTTP ${response.status} from ${url}`);
    }
    return text;
  } catch (err) {
    if (err instanceof ClientError) throw err;
    if (timedOut) throw new ClientError('CLIENT_TIMEOUT', `no reply within ${timeoutMs} ms`, err);
    throw new ClientError('CLIENT_TRANSPORT', `request to ${url} failed`, err);
  } finally {
    clearTimeout(timer);
    signals.delete(controller);
  }
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

export function resolveFetch(custom: typeof fetch | undefined): typeof fetch {
  const impl = custom ?? globalThis.fetch;
  if (typeof impl !== 'function') {
    throw new ClientError('CLIENT_NO_TRANSPORT', 'no fetch implementation available');
  }
  return impl;
}
