// A client's subscriptions in the memory engine, sized for the common case: most clients subscribe to one
// channel (a room, a topic), and a Set costs about 180 bytes even for one entry, paid per connected client.
// So none is `undefined`, one is the pattern itself, and only two or more make a Set; when a Set shrinks
// back to one the single pattern replaces it again. Pure functions over the value: no object per client.

/** No subscription, one pattern, or a Set of two or more. */
export type SubscriptionList = string | Set<string> | undefined;

export function subscriptionCount(list: SubscriptionList): number {
  if (list === undefined) return 0;
  return typeof list === 'string' ? 1 : list.size;
}

export function hasSubscription(list: SubscriptionList, pattern: string): boolean {
  if (list === undefined) return false;
  return typeof list === 'string' ? list === pattern : list.has(pattern);
}

/** The list with `pattern` added (the caller checked it was not there). */
export function withSubscription(list: SubscriptionList, pattern: string): SubscriptionList {
  if (list === undefined) return pattern;
  if (typeof list === 'string') return list === pattern ? list : new Set([list, pattern]);
  list.add(pattern);
  return list;
}

/** The list without `pattern` (unchanged when it was not there). */
export function withoutSubscription(list: SubscriptionList, pattern: string): SubscriptionList {
  if (list === undefined || typeof list === 'string') return list === pattern ? undefined : list;
  list.delete(pattern);
  if (list.size > 1) return list;
  // Back to one (or none): the Set goes.
  const [only] = list;
  return only;
}

/** Every pattern, in the order subscribed (a fresh array). */
export function subscriptionPatterns(list: SubscriptionList): string[] {
  if (list === undefined) return [];
  return typeof list === 'string' ? [list] : [...list];
}
