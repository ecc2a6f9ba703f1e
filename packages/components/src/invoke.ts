// Calls a component handler that may be sync or async, turning a throw and a rejection into the same
// failure callback, so no handler can take the process or another connection down.

import type { Connection } from './connection.js';
import { errorChannel } from './diagnostics.js';

export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Runs `run`. Returns true (sync success), false (sync failure, `fail` called), or a promise of the same
 * for an async handler.
 */
export function invoke(run: () => unknown, fail: (err: Error) => void): boolean | Promise<boolean> {
  let result: unknown;
  try {
    result = run();
  } catch (err) {
    fail(toError(err));
    return false;
  }
  if (result === undefined || result === null || typeof (result as Promise<unknown>).then !== 'function') {
    return true;
  }
  return (result as Promise<unknown>).then(
    () => true,
    (err: unknown) => {
      fail(toError(err));
      return false;
    },
  );
}

/** Errors published already: a layer that reports and rethrows (SessionProvider) is not reported twice. */
const reported = new WeakSet<Error>();

/** An error nobody handled: published for observers (once per error), the connection closed by the caller. */
export function reportUnhandled(conn: Connection, error: Error): void {
  if (reported.has(error)) return;
  reported.add(error);
  if (errorChannel.hasSubscribers) errorChannel.publish({ conn, error });
}
