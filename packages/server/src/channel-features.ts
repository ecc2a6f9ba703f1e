// Per channel pattern features (issue 9): `createBayeuxServer({ channels: { '/chat/**': { history: { size:
// 100, ttl: 3_600_000 }, presence: true } } })`. Resolved once per concrete channel name (remembered in a
// bounded ChannelCache), so a publish pays one Map lookup to learn whether its channel keeps history.
// The first pattern (in the order given) that matches a channel decides; put specific patterns first.

import {
  isMetaChannel,
  isServiceChannel,
  isValidPattern,
  matches,
  PRESENCE_PREFIX,
  presenceBaseOf,
} from '@pushwire/bayeux';
import { ChannelCache } from './channel-cache.js';
import type { HistoryLimits } from './engine/engine.js';

export interface ChannelHistoryOptions {
  /** Messages kept per channel (1..1,000,000). */
  size: number;
  /** Ms a message is kept. Default 3,600,000 (one hour). */
  ttl?: number;
  /** Bytes kept per channel (UTF-8 of the encoded JSON). Default 1 MiB. */
  maxBytes?: number;
  /** Most messages one recovery replays (past it: recovered false). Default min(size, maxQueue). */
  maxRecovery?: number;
}

export interface ChannelPresenceOptions {
  /** Members listed by a query; past it only the count is given (large rooms). Default 100. */
  maxMembers?: number;
}

export interface ChannelOptions {
  /** Keep a bounded history: positions on every message, recovery on subscribe. Default off. */
  history?: ChannelHistoryOptions;
  /** Track who is subscribed (join/leave events on `/presence<channel>`, queries). Default off. */
  presence?: boolean | ChannelPresenceOptions;
}

export interface PresenceLimits {
  maxMembers: number;
}

export const CHANNEL_DEFAULTS = {
  historyTtl: 3_600_000,
  historyMaxBytes: 1024 * 1024,
  historyMaxSize: 1_000_000,
  presenceMaxMembers: 100,
} as const;

interface Rule {
  pattern: string;
  history: HistoryLimits | undefined;
  presence: PresenceLimits | undefined;
}

function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`pushwire: option ${name} must be an integer in ${min}..${max}`);
  }
  return value;
}

function historyLimits(where: string, h: ChannelHistoryOptions, maxQueue: number): HistoryLimits {
  const size = integerIn(`${where}.size`, h.size, 1, CHANNEL_DEFAULTS.historyMaxSize);
  const ttl = integerIn(`${where}.ttl`, h.ttl ?? CHANNEL_DEFAULTS.historyTtl, 1, 2 ** 31 - 1);
  const maxBytes = integerIn(`${where}.maxBytes`, h.maxBytes ?? CHANNEL_DEFAULTS.historyMaxBytes, 1, 2 ** 40);
  // A replay is queued for the client in one step: more than maxQueue would be cut by the queue policy
  // (drop-oldest loses the start, disconnect drops the client), so it is refused here.
  const maxRecovery = integerIn(
    `${where}.maxRecovery`,
    h.maxRecovery ?? Math.min(size, maxQueue),
    0,
    maxQueue,
  );
  return { size, ttl, maxBytes, maxRecovery };
}

export class ChannelFeatures {
  readonly #rules: Rule[] = [];
  readonly #cache = new ChannelCache<Rule | null>((name) => this.#match(name));
  /** True when any pattern tracks presence (the /service/presence query is offered). */
  readonly anyPresence: boolean;

  constructor(channels: Record<string, ChannelOptions> | undefined, maxQueue: number) {
    for (const [pattern, opts] of Object.entries(channels ?? {})) {
      const where = `channels['${pattern}']`;
      if (!isValidPattern(pattern) || isMetaChannel(pattern) || isServiceChannel(pattern)) {
        throw new TypeError(`pushwire: ${where}: a broadcast channel or pattern is needed`);
      }
      if (presenceBaseOf(pattern) !== undefined || pattern === PRESENCE_PREFIX) {
        throw new TypeError(`pushwire: ${where}: ${PRESENCE_PREFIX}/** is reserved for presence events`);
      }
      if (opts === null || typeof opts !== 'object')
        throw new TypeError(`pushwire: ${where} must be an object`);
      const history =
        opts.history === undefined ? undefined : historyLimits(`${where}.history`, opts.history, maxQueue);
      let presence: PresenceLimits | undefined;
      if (opts.presence === true) presence = { maxMembers: CHANNEL_DEFAULTS.presenceMaxMembers };
      else if (typeof opts.presence === 'object' && opts.presence !== null) {
        presence = {
          maxMembers: integerIn(
            `${where}.presence.maxMembers`,
            opts.presence.maxMembers ?? CHANNEL_DEFAULTS.presenceMaxMembers,
            0,
            1_000_000,
          ),
        };
      } else if (opts.presence !== undefined && opts.presence !== false) {
        throw new TypeError(`pushwire: ${where}.presence must be a boolean or an object`);
      }
      this.#rules.push({ pattern, history, presence });
    }
    this.anyPresence = this.#rules.some((r) => r.presence !== undefined);
  }

  /** The history limits of a concrete channel, or undefined when it keeps none. */
  history(channel: string): HistoryLimits | undefined {
    if (this.#rules.length === 0) return undefined;
    return this.#cache.get(channel)?.history;
  }

  /** The presence limits of a concrete channel, or undefined when presence is not tracked there. */
  presence(channel: string): PresenceLimits | undefined {
    if (this.#rules.length === 0) return undefined;
    return this.#cache.get(channel)?.presence;
  }

  #match(name: string): Rule | null {
    // Presence events never keep history or presence of their own.
    if (presenceBaseOf(name) !== undefined) return null;
    return this.#rules.find((r) => matches(r.pattern, name)) ?? null;
  }
}
