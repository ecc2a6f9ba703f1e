// Channel history on the wire (issue 9, DESIGN.md "Positions"). Each message on a channel with history
// carries `ext.history = {offset, epoch}`, assigned by the engine as it stores the message. A
// /meta/subscribe may ask `ext.recover = {offset, epoch}` (what followed that position) or
// `ext.history = {last: N}`; the engine subscribes and queues the replay in one atomic step, so replayed
// and live messages never overlap, miss or swap. The reply says how it went in `ext.recover`. Real CometD
// and Faye clients ignore these `ext` members.

import { type Message, parsePosition } from '@pushwire/bayeux';
import type { Core } from './core.js';
import type { HistoryPosition, HistoryQuery, HistoryRead, PositionTemplate } from './engine/engine.js';

/**
 * Splits the message's JSON text where its position goes: `ext.history` is written as the LAST member of
 * `ext`, itself the last member of the message, so the text ends in `"history":0}}` and the engine
 * replaces that `0` (see PositionTemplate). A publisher's own `ext.history` is dropped: positions are the
 * server's.
 */
export function positionTemplate(message: Message): PositionTemplate {
  const { ext, ...rest } = message;
  const own: Record<string, unknown> = ext !== null && typeof ext === 'object' ? { ...ext } : {};
  delete own.history;
  const text = JSON.stringify({ ...rest, ext: { ...own, history: 0 } });
  return { head: text.slice(0, -3), tail: '}}' };
}

/** Parses a subscribe's recovery request: undefined when none, null when malformed. */
export function recoveryQuery(message: Message): HistoryQuery | undefined | null {
  const ext = message.ext;
  if (ext === null || typeof ext !== 'object') return undefined;
  const recover = (ext as Record<string, unknown>).recover;
  const history = (ext as Record<string, unknown>).history;
  if (recover !== undefined) {
    const after = parsePosition(recover);
    return after === undefined ? null : { after };
  }
  if (history !== undefined) {
    // `{last: N}` (the wire format) or a bare N.
    const last =
      typeof history === 'number'
        ? history
        : history !== null && typeof history === 'object'
          ? (history as Record<string, unknown>).last
          : undefined;
    if (typeof last !== 'number' || !Number.isSafeInteger(last) || last < 0) return null;
    return { last };
  }
  return undefined;
}

/** The reply `ext` of a subscribe to a channel with history. */
export function recoveryExt(asked: boolean, read: HistoryRead): Record<string, unknown> {
  const { offset, epoch } = read.position;
  // Without a request the client still learns where its live stream starts, so it can recover from there
  // even if nothing arrives before it loses its connection.
  if (!asked) return { history: { offset, epoch } };
  return { recover: { recovered: read.complete, epoch, offset } };
}

export interface HistoryOptions {
  /** Most messages returned (default: the channel's history size). */
  limit?: number;
  /** Only what followed this position (a message's `ext.history`); otherwise the newest `limit`. */
  since?: HistoryPosition;
}

export interface HistoryResult {
  /** The channel's latest position. */
  epoch: string;
  offset: number;
  /** False when `since` is from another epoch, older than the history, or more than `limit` ago. */
  complete: boolean;
  /** Oldest first, as delivered (each with `ext.history`). */
  messages: Message[];
}

/** `bayeux.history(channel, {limit, since})`. */
export async function readChannelHistory(
  core: Core,
  channel: string,
  options: HistoryOptions = {},
): Promise<HistoryResult> {
  const limits = core.features.history(channel);
  if (limits === undefined) throw new TypeError(`pushwire: channel '${channel}' keeps no history`);
  const limit = options.limit ?? limits.size;
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new TypeError('pushwire: history limit must be an integer >= 0');
  const query: HistoryQuery = options.since !== undefined ? { after: options.since } : { last: limit };
  const read = await core.engine.readHistory(channel, query, { ...limits, maxRecovery: limit });
  return {
    epoch: read.position.epoch,
    offset: read.position.offset,
    complete: read.complete,
    messages: read.messages.map((text) => JSON.parse(text) as Message),
  };
}
