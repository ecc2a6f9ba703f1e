// The memory engine's queue policy (EngineOptions maxQueue, maxQueueBytes, queuePolicy): 'disconnect'
// drops the client as slow when a bound would be crossed, 'drop-oldest' discards the oldest messages until
// the new one fits, and says how many and which bound.

import type { EngineOptions, QueueLimit } from './engine.js';
import type { MessageQueue } from './message-queue.js';

/** Messages discarded by drop-oldest, and the bound that was crossed. */
export interface QueueDrop {
  dropped: number;
  bytes: number;
  limit: QueueLimit;
}

/** ok false: the client must be dropped as slow (queuePolicy 'disconnect'). */
export interface PolicyResult {
  ok: boolean;
  drop?: QueueDrop;
}

type Bounds = Pick<EngineOptions, 'maxQueue' | 'maxQueueBytes' | 'queuePolicy'>;

/** Queued within bounds, nothing dropped: the usual answer, shared (one per subscriber of every publish). */
const QUEUED: PolicyResult = Object.freeze({ ok: true });

/**
 * Queues one message of `size` bytes under the policy. Under drop-oldest, a message larger than
 * maxQueueBytes on its own is the one dropped (it could never fit), and reported as such.
 */
export function pushUnderPolicy(
  queue: MessageQueue,
  item: string,
  size: number,
  { maxQueue, maxQueueBytes, queuePolicy }: Bounds,
): PolicyResult {
  if (queue.length < maxQueue && queue.bytes + size <= maxQueueBytes) {
    queue.push(item, size);
    return QUEUED;
  }
  if (queuePolicy === 'disconnect') return { ok: false };
  const limit: QueueLimit = queue.length >= maxQueue ? 'maxQueue' : 'maxQueueBytes';
  if (size > maxQueueBytes) return { ok: true, drop: { dropped: 1, bytes: size, limit } };
  let dropped = 0;
  let bytes = 0;
  while (queue.length > 0 && (queue.length >= maxQueue || queue.bytes + size > maxQueueBytes)) {
    bytes += queue.oldestSize() ?? 0;
    queue.dropOldest();
    dropped++;
  }
  queue.push(item, size);
  return { ok: true, drop: { dropped, bytes, limit } };
}

/** After a requeue put messages back at the head: brings the queue within bounds (the oldest go first). */
export function trimUnderPolicy(
  queue: MessageQueue,
  { maxQueue, maxQueueBytes, queuePolicy }: Bounds,
): PolicyResult {
  if (queue.length <= maxQueue && queue.bytes <= maxQueueBytes) return QUEUED;
  if (queuePolicy === 'disconnect') return { ok: false };
  // Drop-oldest: the oldest are the ones just put back.
  const limit: QueueLimit = queue.length > maxQueue ? 'maxQueue' : 'maxQueueBytes';
  let dropped = 0;
  let bytes = 0;
  while (queue.length > 0 && (queue.length > maxQueue || queue.bytes > maxQueueBytes)) {
    bytes += queue.oldestSize() ?? 0;
    queue.dropOldest();
    dropped++;
  }
  return { ok: true, drop: { dropped, bytes, limit } };
}
