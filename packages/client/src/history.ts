// Positions on channels with history (issue 9, the server README's wire format): every delivery carries
// `ext.history = {offset, epoch}`; the client remembers the last one per subscribed channel and, whenever it
// has to subscribe again (re-handshake, server restart, session expired), asks `ext.recover` from there.
// The server replays what was missed before newer messages; the client drops anything at or before the
// position it has (same epoch), so the app sees each message once.

import { type HistoryPosition, type Message, parsePosition } from '@pushwire/bayeux';

export type { HistoryPosition };

/** What a re-subscribe learned: `recovered` false means messages may have been missed (reload state). */
export interface Recovery extends Partial<HistoryPosition> {
  recovered: boolean;
}

const asPosition = parsePosition;

/** The position a delivery carries, if any (anything malformed is ignored, as a peer's ext would be). */
export function positionOf(message: Message): HistoryPosition | undefined {
  const ext = message.ext;
  return ext === undefined || ext === null ? undefined : asPosition((ext as Record<string, unknown>).history);
}

/**
 * Moves `holder.position` forward to `position`; false when it is not newer (same epoch, offset at or
 * before): the message was already delivered. A new epoch always wins (the old history is gone).
 */
export function advancePosition(
  holder: { position: HistoryPosition | undefined },
  position: HistoryPosition,
): boolean {
  const current = holder.position;
  if (current !== undefined && current.epoch === position.epoch && position.offset <= current.offset)
    return false;
  holder.position = position;
  return true;
}

/** The `ext` a /meta/subscribe carries: recover from the position, or ask for the newest `last`. */
export function subscribeExt(entry: {
  position: HistoryPosition | undefined;
  last: number | undefined;
}): Record<string, unknown> | undefined {
  if (entry.position !== undefined) return { recover: { ...entry.position } };
  if (entry.last !== undefined) return { history: { last: entry.last } };
  return undefined;
}

/**
 * Reads a subscribe reply and moves the entry's position so that what follows the reply is delivered
 * once: the reply's position is the channel's LATEST, and replayed messages (older) follow it.
 * - no request: nothing follows; the live stream starts after the reply's position;
 * - `recover` answered true: the replay follows from the position asked, which stays;
 * - `recover` answered false: nothing is replayed; live messages continue after the reply's position;
 * - `history: {last: N}`: the newest N (at most) follow, so the stream is taken to start N before.
 * Returns the recovery outcome when the server answered a request.
 */
export function readSubscribeReply(
  entry: { position: HistoryPosition | undefined },
  asked: Record<string, unknown> | undefined,
  reply: Message,
): Recovery | undefined {
  const ext = reply.ext as Record<string, unknown> | undefined;
  if (ext === undefined || ext === null || typeof ext !== 'object') return undefined;
  const start = asPosition(ext.history);
  if (start !== undefined && asked === undefined) advancePosition(entry, start);
  const recover = ext.recover as Record<string, unknown> | undefined;
  if (recover === null || typeof recover !== 'object' || typeof recover.recovered !== 'boolean')
    return undefined;
  const at = asPosition(recover);
  if (at !== undefined) {
    const last = (asked?.history as { last?: number } | undefined)?.last;
    if (last !== undefined) {
      const base = { offset: Math.max(0, at.offset - last), epoch: at.epoch };
      if (entry.position === undefined || entry.position.epoch !== at.epoch) entry.position = base;
    } else if (!recover.recovered) {
      // Deliveries of the new stream may already have moved past it (pushed before the reply).
      advancePosition(entry, at);
    }
  }
  return at === undefined ? { recovered: recover.recovered } : { recovered: recover.recovered, ...at };
}
