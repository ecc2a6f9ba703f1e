// Adds the optional `timestamp` field (Bayeux §3.9) to every message the server sends: the ISO 8601
// profile the spec gives, `YYYY-MM-DDThh:mm:ss.ss`, in GMT. (CometD's Java server defaults to a Java date
// pattern instead; its JS client uses toUTCString(). We follow the spec.) A broadcast goes through the
// outgoing pipeline once, so every subscriber gets the same stamp: the time of publication.

import type { BayeuxExtension } from '../extensions.js';

export interface TimestampExtensionOptions {
  /** Clock source, ms since the epoch (tests inject one). Default Date.now. */
  now?: () => number;
}

/** Formats `ms` as Bayeux §3.9's `YYYY-MM-DDThh:mm:ss.ss` (GMT, hundredths of a second). */
export function bayeuxTimestamp(ms: number): string {
  // toISOString gives YYYY-MM-DDThh:mm:ss.sssZ; the profile keeps two fraction digits and no zone letter.
  return new Date(ms).toISOString().slice(0, 22);
}

export function timestampExtension(options: TimestampExtensionOptions = {}): BayeuxExtension {
  const now = options.now ?? Date.now;
  return {
    outgoing(message) {
      message.timestamp = bayeuxTimestamp(now());
      return message;
    },
  };
}
