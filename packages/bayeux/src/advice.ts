// Advice (Bayeux §3.6): what the server tells a client to do next. Clients act on advice, never on error
// codes (reference §1.5). The constants are frozen so no caller can change them for everyone; the
// functions return fresh objects for replies that extensions may still edit.

import type { Advice } from './message.js';

/** §3.6.1 reconnect values. */
export const RECONNECT = { retry: 'retry', handshake: 'handshake', none: 'none' } as const;
export type Reconnect = (typeof RECONNECT)[keyof typeof RECONNECT];

/**
 * Sent with every `402::session_unknown` on handshake/connect replies (DESIGN.md "Errors are data"): the
 * server forgot the client, so it MUST re-handshake at once and MUST NOT retry the connect (§3.6.1).
 */
export const HANDSHAKE_ADVICE: Readonly<Advice> = Object.freeze({ reconnect: 'handshake', interval: 0 });

/** Hard failure (e.g. `403::handshake_denied`): the client MUST NOT retry or handshake on its own (§3.6.1). */
export const NONE_ADVICE: Readonly<Advice> = Object.freeze({ reconnect: 'none' });

/** A fresh copy of HANDSHAKE_ADVICE for a reply. */
export function handshakeAdvice(): Advice {
  return { reconnect: 'handshake', interval: 0 };
}

/** A fresh copy of NONE_ADVICE for a reply. */
export function noneAdvice(): Advice {
  return { reconnect: 'none' };
}

/** The usual handshake/connect advice: reconnect with a connect after `interval`; the server holds `timeout`. */
export function retryAdvice(interval: number, timeout: number): Advice {
  return { reconnect: 'retry', interval, timeout };
}

/**
 * Short polling is Bayeux too (reference §1.8): the server answers connects at once (`timeout: 0`) and the
 * client waits `interval` ms between polls.
 */
export function shortPollingAdvice(interval: number): Advice {
  return { reconnect: 'retry', interval, timeout: 0 };
}

/** §3.6.3 / §8.1: more held connects from one browser than allowed; fall back to polling every `interval`. */
export function multipleClientsAdvice(interval: number): Advice {
  return { 'multiple-clients': true, reconnect: 'retry', interval };
}

const GENERAL_FIELDS = [
  'reconnect',
  'interval',
  'timeout',
  'multiple-clients',
  'maxInterval',
  'hosts',
] as const;

/**
 * The advice that applies to `connectionType`: the general fields, overridden by the per-transport sub-object
 * if the server sent one (§3.6: `"callback-polling": {"reconnect": "handshake"}`). Unknown or ill-typed fields
 * are dropped, so callers can trust the types.
 */
export function effectiveAdvice(advice: Advice | undefined, connectionType?: string): Advice {
  const out: Advice = {};
  if (advice === undefined || advice === null || typeof advice !== 'object') return out;
  copyGeneral(advice, out);
  if (connectionType !== undefined) {
    const sub = advice[connectionType];
    if (sub !== null && typeof sub === 'object' && !Array.isArray(sub)) copyGeneral(sub as Advice, out);
  }
  return out;
}

function copyGeneral(from: Advice, to: Advice): void {
  for (const field of GENERAL_FIELDS) {
    const value = from[field];
    if (value === undefined) continue;
    if (field === 'reconnect') {
      if (value === 'retry' || value === 'handshake' || value === 'none') to.reconnect = value;
    } else if (field === 'multiple-clients') {
      if (typeof value === 'boolean') to['multiple-clients'] = value;
    } else if (field === 'hosts') {
      if (Array.isArray(value) && value.every((h) => typeof h === 'string')) to.hosts = [...value];
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      to[field] = value;
    }
  }
}

/** Same general advice fields (the server sends advice only when it changed: CometD `takeAdvice`). */
export function sameAdvice(a: Advice | undefined, b: Advice | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  for (const field of GENERAL_FIELDS) {
    const x = a[field];
    const y = b[field];
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length || x.some((h, i) => h !== y[i])) return false;
    } else if (x !== y) return false;
  }
  return true;
}
