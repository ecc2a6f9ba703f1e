// Time synchronisation in CometD's wire format (CometD docs extensions_timesync.adoc; client side:
// node_modules/cometd/TimeSyncExtension.js). On /meta/ messages the client sends `ext.timesync:
// {tc, l, o}` (its time, its lag and offset estimates); the reply carries `ext.timesync: {tc, ts, p, a}`:
// the client's tc echoed, ts = server time when the request arrived, p = ms the server held it (a long
// poll), a = the accuracy the client reported (its lag). The client then computes
// lag = (now - tc - p) / 2 and offset = ts - tc - lag.

import { isMetaChannel, type Message } from '@pushwire/bayeux';
import type { BayeuxExtension } from '../extensions.js';

export interface TimesyncExtensionOptions {
  /** Clock source, ms since the epoch (tests inject one). Default Date.now. */
  now?: () => number;
}

interface Sync {
  tc: number;
  l: number;
}

function syncOf(message: Message): Sync | undefined {
  const t = message.ext?.timesync;
  if (t === null || typeof t !== 'object') return undefined;
  const { tc, l } = t as Record<string, unknown>;
  if (typeof tc !== 'number' || !Number.isFinite(tc)) return undefined;
  return { tc, l: typeof l === 'number' && Number.isFinite(l) ? l : 0 };
}

export function timesyncExtension(options: TimesyncExtensionOptions = {}): BayeuxExtension {
  const now = options.now ?? Date.now;
  // When each request arrived, keyed by the request object the outgoing hook later sees as ctx.request.
  const arrived = new WeakMap<Message, number>();
  return {
    incoming(message) {
      if (isMetaChannel(message.channel) && syncOf(message) !== undefined) arrived.set(message, now());
      return message;
    },
    outgoing(message, ctx) {
      const request = ctx.request;
      if (request === undefined) return message;
      const sync = syncOf(request);
      const ts = arrived.get(request);
      if (sync === undefined || ts === undefined) return message;
      message.ext = { ...message.ext, timesync: { tc: sync.tc, ts, p: now() - ts, a: sync.l } };
      return message;
    },
  };
}
