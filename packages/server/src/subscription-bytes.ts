// A client's subscriptions are bounded by count in the engine (maxSubscriptionsPerClient) and by the bytes
// of their names here (maxSubscriptionBytesPerClient): a name may be up to 512 characters, so the count
// alone lets one session pin 100 x 512 bytes in the engine, for every session (and, with Redis, in Redis
// sets every node reads). The check reads the client's current subscriptions and refuses the whole
// /meta/subscribe (all or nothing, like its other checks) when what it adds would pass the bound. Not atomic
// with the engine write: two subscribes of one client in flight at once may each pass, so the bound can be
// passed by at most what those in-flight requests add (each bounded by maxMessageSize).

/** Bytes a subscription name costs (names are ASCII in the channel grammar; bytes, to be exact anyway). */
export function subscriptionBytes(name: string): number {
  return Buffer.byteLength(name);
}

/**
 * True when subscribing to `adding` (those not already in `current`) would make the client's names more
 * than `max` bytes in total.
 */
export function exceedsSubscriptionBytes(
  current: Iterable<string>,
  adding: Iterable<string>,
  max: number,
): boolean {
  const have = new Set(current);
  let total = 0;
  for (const name of have) total += subscriptionBytes(name);
  for (const name of adding) {
    if (have.has(name)) continue;
    have.add(name);
    total += subscriptionBytes(name);
  }
  return total > max;
}
