// The wire vocabulary of channel history and presence (issue 9), shared by the server and the client so
// each name is written once. Pure, no I/O: it runs in the browser too.
//
// - `ext.history = {offset, epoch}` on every delivery of a channel with history (a position);
// - `ext.recover = {offset, epoch}` or `ext.history = {last: N}` on a /meta/subscribe (a recovery request),
//   answered by `ext.recover = {recovered, epoch, offset}` on its reply;
// - joins and leaves of `<channel>` broadcast on `/presence<channel>`, queries on `/service/presence`.

/** Where a message sits in its channel's history: `offset` grows by 1 per message within one `epoch`. */
export interface HistoryPosition {
  offset: number;
  /** Changes whenever the channel's history is lost (a restarted memory engine, an evicted store). */
  epoch: string;
}

/** Longest epoch a position may carry (servers make short ones; anything longer is not a position). */
export const MAX_EPOCH_LENGTH = 64;

/** Presence events of `<channel>` are broadcast on `/presence<channel>`; the namespace is reserved. */
export const PRESENCE_PREFIX = '/presence';

/** The service channel of presence queries (`data: {channel, members?: false}`). */
export const PRESENCE_SERVICE = '/service/presence';

/** The channel presence events of `channel` go to. */
export function presenceChannelOf(channel: string): string {
  return `${PRESENCE_PREFIX}${channel}`;
}

/** `/presence/`: what a presence name starts with (built once, not per call: every publish asks). */
const PRESENCE_NAMESPACE = `${PRESENCE_PREFIX}/`;

/** The channel a `/presence/...` name or pattern is about, or undefined for other names. */
export function presenceBaseOf(name: string): string | undefined {
  return name.startsWith(PRESENCE_NAMESPACE) ? name.slice(PRESENCE_PREFIX.length) : undefined;
}

/** A well-formed position (non-negative safe integer offset, 1..64 character epoch), or undefined. */
export function parsePosition(value: unknown): HistoryPosition | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { offset, epoch } = value as Record<string, unknown>;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  if (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > MAX_EPOCH_LENGTH) return undefined;
  return { offset, epoch };
}
