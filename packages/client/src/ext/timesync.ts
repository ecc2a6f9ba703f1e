// The `timesync` extension on CometD's wire (TimeSyncExtension.js / TimesyncExtension.java). Every meta
// message carries `ext.timesync = {tc, l, o}` (client time, lag, offset); the server answers
// `{tc, ts, p, a}` (echoed client time, server time, ms the server held the message, accuracy).
// lag = (now - tc - p) / 2, offset = ts - tc - lag, averaged over the last `maxSamples` samples.

import { isMetaChannel, type Message } from '@pushwire/bayeux';
import { checkFunction, checkNumber } from '../config-checks.js';
import type { Extension } from '../extensions.js';

export interface TimesyncOptions {
  /** Samples in the sliding average. Default 10. */
  maxSamples?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

export interface TimesyncExtension extends Required<Extension> {
  /** Estimated one-way network lag in ms. */
  getNetworkLag(): number;
  /** Estimated server clock minus client clock, in ms. */
  getTimeOffset(): number;
  /** Estimated server time (ms since the epoch). */
  getServerTime(): number;
}

interface ServerSample {
  tc?: unknown;
  ts?: unknown;
  p?: unknown;
}

export function timesyncExtension(options: TimesyncOptions = {}): TimesyncExtension {
  const maxSamples =
    options.maxSamples === undefined
      ? 10
      : checkNumber('maxSamples', options.maxSamples, { min: 1, integer: true });
  const now = options.now === undefined ? Date.now : checkFunction<() => number>('now', options.now);
  const lags: number[] = [];
  const offsets: number[] = [];
  let lag = 0;
  let offset = 0;

  return {
    getNetworkLag: () => lag,
    getTimeOffset: () => offset,
    getServerTime: () => now() + offset,
    outgoing(message: Message): Message {
      if (isMetaChannel(message.channel)) {
        message.ext = { ...message.ext, timesync: { tc: now(), l: lag, o: offset } };
      }
      return message;
    },
    incoming(message: Message): Message {
      const sample = message.ext?.timesync as ServerSample | undefined;
      if (!isMetaChannel(message.channel) || typeof sample !== 'object' || sample === null) return message;
      const { tc, ts, p } = sample;
      if (typeof tc !== 'number' || typeof ts !== 'number') return message;
      const l = (now() - tc - (typeof p === 'number' ? p : 0)) / 2;
      lags.push(l);
      offsets.push(ts - tc - l);
      if (offsets.length > maxSamples) {
        lags.shift();
        offsets.shift();
      }
      lag = Math.round(lags.reduce((a, b) => a + b, 0) / lags.length);
      offset = Math.round(offsets.reduce((a, b) => a + b, 0) / offsets.length);
      return message;
    },
  };
}
