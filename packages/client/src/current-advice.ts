// The advice the connection loop acts on (Bayeux §3.6): what a reply's `advice` means for this client's
// transport. New advice replaces earlier advice; a per-transport entry (`advice["long-polling"]`) wins
// over the general fields; a field the server left out falls back to the client's configured default.

import type { Advice } from '@pushwire/bayeux';
import { type TransportName, wireType } from './negotiate.js';

export interface CurrentAdvice {
  reconnect: 'retry' | 'handshake' | 'none' | undefined;
  interval: number;
  timeout: number;
}

/** The advice before the server sent any (option `advice`); also reset before each handshake (cometd#722). */
export function initialAdvice(defaults: { timeout: number; interval: number }): CurrentAdvice {
  return { reconnect: undefined, ...defaults };
}

/** `current` updated by a reply's advice, or unchanged when the reply carries none. */
export function applyAdvice(
  current: CurrentAdvice,
  advice: Advice | undefined,
  transport: TransportName | null,
  defaults: { timeout: number; interval: number },
): CurrentAdvice {
  if (advice === undefined || typeof advice !== 'object' || advice === null) return current;
  const specific = transport === null ? undefined : advice[wireType(transport)];
  const merged = {
    ...advice,
    ...(typeof specific === 'object' && specific !== null ? specific : {}),
  } as Advice;
  return {
    reconnect: merged.reconnect,
    interval: typeof merged.interval === 'number' ? merged.interval : defaults.interval,
    timeout: typeof merged.timeout === 'number' ? merged.timeout : defaults.timeout,
  };
}
