// Bayeux §2.2.1 globbing: only a trailing wildcard; `*` matches exactly one segment, `**` one or more.
// `/foo/*` matches `/foo/bar` but not `/foo` nor `/foo/bar/baz`; `/foo/**` matches both deeper ones.

export function isWildcard(pattern: string): boolean {
  return pattern.endsWith('/*') || pattern.endsWith('/**');
}

export function channelMatches(pattern: string, channel: string): boolean {
  if (pattern === channel) return true;
  if (pattern.endsWith('/**')) {
    const prefix = pattern.slice(0, -2);
    return channel.startsWith(prefix) && channel.length > prefix.length;
  }
  if (pattern.endsWith('/*')) {
    const prefix = pattern.slice(0, -1);
    if (!channel.startsWith(prefix)) return false;
    const rest = channel.slice(prefix.length);
    return rest.length > 0 && !rest.includes('/');
  }
  return false;
}

/** Bayeux §2.2 grammar for a channel name or trailing-wildcard pattern, with CometD's lenient characters. */
const CHANNEL_RE = /^(\/[A-Za-z0-9\-_!~()$@ .{}#+=]+)+(\/\*\*?)?$|^\/\*\*?$/;

export function isValidChannel(channel: unknown): channel is string {
  return typeof channel === 'string' && CHANNEL_RE.test(channel);
}
