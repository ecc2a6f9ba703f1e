// resolveOptions: createBayeuxServer's options with the defaults filled in, each value checked. A typo in a
// limit must not silently disable it, so nonsense is refused when the server is made.

import { CONNECTION_TYPE_NAMES, CONNECTION_TYPES, isConnectionType } from '@pushwire/bayeux';
import { bundledClientScript } from './client-script.js';
import { checkQueuePolicy } from './engine/engine.js';
import { DEFAULTS, MAX_DELIVERY_WINDOW } from './option-defaults.js';
import type { BayeuxServerOptions, ResolvedOptions, TransportName } from './options.js';

// Configuration errors follow one rule (issue 14): TypeError when a value has the wrong type, RangeError when
// it has the right type but is out of range (negative, not an integer, an unknown name).

function numberOption(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`pushwire: option ${name} must be a number`);
  return value;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = numberOption(name, value);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`pushwire: option ${name} must be a number >= 0`);
  return n;
}

function deliveryWindowOption(value: number | undefined): number {
  const n = nonNegative('deliveryWindow', value, DEFAULTS.deliveryWindow);
  if (n > MAX_DELIVERY_WINDOW) {
    throw new RangeError(`pushwire: option deliveryWindow must be at most ${MAX_DELIVERY_WINDOW} ms`);
  }
  return n;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = numberOption(name, value);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`pushwire: option ${name} must be an integer >= 1`);
  return n;
}

function integer(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = numberOption(name, value);
  if (!Number.isInteger(n)) throw new RangeError(`pushwire: option ${name} must be an integer`);
  return n;
}

function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`pushwire: option ${name} must be a boolean`);
  return value;
}

function ipv6PrefixOption(value: number | undefined): number {
  const n = positive('ipv6PrefixLength', value, DEFAULTS.ipv6PrefixLength);
  if (n > 128) throw new RangeError('pushwire: option ipv6PrefixLength must be at most 128');
  return n;
}

function allowedHostsOption(value: unknown): readonly string[] | 'all' {
  if (value === undefined) return DEFAULTS.allowedHosts;
  if (value === 'all') return 'all';
  if (!Array.isArray(value) || !value.every((h) => typeof h === 'string')) {
    throw new TypeError("pushwire: option allowedHosts must be 'all' or an array of host names");
  }
  for (const h of value as string[]) {
    if (h.length === 0 || /[\s/:@]/.test(h.replace(/^\[.*\]$/, ''))) {
      throw new RangeError(`pushwire: option allowedHosts: '${h}' is not a host name (no port, no scheme)`);
    }
  }
  return Object.freeze((value as string[]).map((h) => h.toLowerCase()));
}

function transportsOption(value: unknown): TransportName[] {
  if (value === undefined) return [...DEFAULTS.transports];
  if (!Array.isArray(value)) throw new TypeError('pushwire: option transports must be an array');
  for (const t of value) {
    if (typeof t !== 'string') throw new TypeError('pushwire: option transports must list strings');
    if (!isConnectionType(t)) {
      throw new RangeError(
        `pushwire: unknown transport '${t}' (known: ${CONNECTION_TYPE_NAMES.map((n) => `'${n}'`).join(', ')})`,
      );
    }
  }
  if (!value.includes(CONNECTION_TYPES.longPolling)) {
    // Bayeux §1.4.5.i: implementations MUST support long-polling.
    throw new RangeError("pushwire: option transports must include 'long-polling' (Bayeux 1.0 requires it)");
  }
  return value as TransportName[];
}

/** Applies defaults and rejects nonsense early (a typo in a limit must not silently disable it). */
export function resolveOptions(o: BayeuxServerOptions): ResolvedOptions {
  const mount = o.mount ?? DEFAULTS.mount;
  if (typeof mount !== 'string') throw new TypeError('pushwire: option mount must be a string');
  if (!mount.startsWith('/')) throw new RangeError("pushwire: option mount must start with '/'");
  const transports = transportsOption(o.transports);
  const queuePolicy = checkQueuePolicy(o.queuePolicy ?? DEFAULTS.queuePolicy, 'pushwire: option');
  const maxChannelSegments = positive(
    'maxChannelSegments',
    o.maxChannelSegments,
    DEFAULTS.maxChannelSegments,
  );
  return {
    mount: mount.length > 1 && mount.endsWith('/') ? mount.slice(0, -1) : mount,
    timeout: nonNegative('timeout', o.timeout, DEFAULTS.timeout),
    interval: nonNegative('interval', o.interval, DEFAULTS.interval),
    deliveryWindow: deliveryWindowOption(o.deliveryWindow),
    maxInterval: nonNegative('maxInterval', o.maxInterval, DEFAULTS.maxInterval),
    transports,
    cors: o.cors,
    maxSessionsPerBrowser: integer(
      'maxSessionsPerBrowser',
      o.maxSessionsPerBrowser,
      DEFAULTS.maxSessionsPerBrowser,
    ),
    multiSessionInterval: nonNegative(
      'multiSessionInterval',
      o.multiSessionInterval,
      DEFAULTS.multiSessionInterval,
    ),
    maxMessageSize: positive('maxMessageSize', o.maxMessageSize, DEFAULTS.maxMessageSize),
    perMessageDeflate: o.perMessageDeflate ?? false,
    maxPendingFrames: positive('maxPendingFrames', o.maxPendingFrames, DEFAULTS.maxPendingFrames),
    maxSocketBuffer: nonNegative('maxSocketBuffer', o.maxSocketBuffer, DEFAULTS.maxSocketBuffer),
    maxMessagesPerRequest: positive(
      'maxMessagesPerRequest',
      o.maxMessagesPerRequest,
      DEFAULTS.maxMessagesPerRequest,
    ),
    maxPendingHandlers: positive('maxPendingHandlers', o.maxPendingHandlers, DEFAULTS.maxPendingHandlers),
    maxSubscriptionsPerClient: positive(
      'maxSubscriptionsPerClient',
      o.maxSubscriptionsPerClient,
      DEFAULTS.maxSubscriptionsPerClient,
    ),
    maxSubscriptionBytesPerClient: positive(
      'maxSubscriptionBytesPerClient',
      o.maxSubscriptionBytesPerClient,
      DEFAULTS.maxSubscriptionBytesPerClient,
    ),
    maxQueue: positive('maxQueue', o.maxQueue, DEFAULTS.maxQueue),
    maxQueueBytes: positive('maxQueueBytes', o.maxQueueBytes, DEFAULTS.maxQueueBytes),
    maxReplyBytes: positive('maxReplyBytes', o.maxReplyBytes, DEFAULTS.maxReplyBytes),
    queuePolicy,
    maxJsonpCallbackLength: positive(
      'maxJsonpCallbackLength',
      o.maxJsonpCallbackLength,
      DEFAULTS.maxJsonpCallbackLength,
    ),
    securityPolicy: o.securityPolicy ?? {},
    clientScript: o.clientScript ?? bundledClientScript,
    channels: { ...o.channels },
    presenceInfo: o.presenceInfo,
    maxPresenceInfoBytes: positive(
      'maxPresenceInfoBytes',
      o.maxPresenceInfoBytes,
      DEFAULTS.maxPresenceInfoBytes,
    ),
    maxHandshakesPerConnection: positive(
      'maxHandshakesPerConnection',
      o.maxHandshakesPerConnection,
      DEFAULTS.maxHandshakesPerConnection,
    ),
    maxHandshakesPerAddress: positive(
      'maxHandshakesPerAddress',
      o.maxHandshakesPerAddress,
      DEFAULTS.maxHandshakesPerAddress,
    ),
    maxSessions: positive('maxSessions', o.maxSessions, DEFAULTS.maxSessions),
    maxSessionsPerAddress: positive(
      'maxSessionsPerAddress',
      o.maxSessionsPerAddress,
      DEFAULTS.maxSessionsPerAddress,
    ),
    ipv6PrefixLength: ipv6PrefixOption(o.ipv6PrefixLength),
    maxConnections: positive('maxConnections', o.maxConnections, DEFAULTS.maxConnections),
    handshakeDeadline: positive('handshakeDeadline', o.handshakeDeadline, DEFAULTS.handshakeDeadline),
    bodyTimeout: positive('bodyTimeout', o.bodyTimeout, DEFAULTS.bodyTimeout),
    maxChannelSegments,
    allowedHosts: allowedHostsOption(o.allowedHosts),
    trustProxy: booleanOption('trustProxy', o.trustProxy, DEFAULTS.trustProxy),
    validation: Object.freeze({ channel: Object.freeze({ maxSegments: maxChannelSegments }) }),
  };
}
