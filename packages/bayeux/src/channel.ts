// Channel names, wildcard patterns and matching (Bayeux §2.2, §2.2.1).
//
// Grammar (Bayeux §2.2): channel_name = "/" segment *( "/" segment ); segment = token = 1*( alphanum | mark ),
// mark = "-" | "_" | "!" | "~" | "(" | ")" | "$" | "@". A pattern ends in one wildcard segment: "*" (exactly one
// segment) or "**" (one or more segments). A wildcard anywhere else (`/foo/*/bar`, `/**/foo`) is invalid.
//
// Two grammars: `strict` is the BNF exactly (what Faye's grammar.js enforces, and what we generate);
// `lenient` (the default for parsing) also accepts the characters real deployments use and CometD's
// validator allows: "." (dotted names), " ", "#", "+", "{", "}" (CometD template channels) and "="
// (Salesforce `/topic/Foo=id`, cometd/cometd#881). It never accepts "*" inside a segment, nor ":" or ","
// (so a channel name is always safe as an argument of an error string, §3.14), nor control characters.

import { META } from './message.js';

/** Which segment grammar to accept. */
export const CHANNEL_GRAMMAR = {
  /** Bayeux §2.2 BNF exactly. */
  strict: 'strict',
  /** BNF plus `. #+{}=` (CometD validator, real-world names). */
  lenient: 'lenient',
} as const;
export type ChannelGrammar = (typeof CHANNEL_GRAMMAR)[keyof typeof CHANNEL_GRAMMAR];

/** Default cap on a channel name's length (characters). Bounds expand() and every Map key built from names. */
export const DEFAULT_MAX_CHANNEL_LENGTH = 512;

/**
 * Default cap on the segments of a name or pattern (`/a/b/c` has 3). Real deployments use a handful
 * (CometD's `/service/chat/private`, Salesforce's `/data/AccountChangeEvent`); every segment costs a
 * subscription key in expand(), so 512 one-letter segments would cost 256 keys per publish (issue 8 item 6).
 */
export const DEFAULT_MAX_CHANNEL_SEGMENTS = 32;

export interface ChannelOptions {
  /** Default 'lenient'. */
  grammar?: ChannelGrammar;
  /** Longest accepted name or pattern, in characters. Default DEFAULT_MAX_CHANNEL_LENGTH (512). */
  maxLength?: number;
  /** Most segments in a name or pattern (the wildcard counts). Default DEFAULT_MAX_CHANNEL_SEGMENTS (32). */
  maxSegments?: number;
}

/** Number of segments of a name or pattern that starts with "/" (`/a/b` -> 2); O(length), no allocation. */
export function channelDepth(name: string): number {
  let n = 0;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) === 0x2f /* "/" */) n++;
  return n;
}

/** True when `name` has more segments than allowed (callers give a clearer error than "invalid"). */
export function isTooDeep(name: string, opts?: ChannelOptions): boolean {
  return channelDepth(name) > (opts?.maxSegments ?? DEFAULT_MAX_CHANNEL_SEGMENTS);
}

/** The five meta channels a server handles (Bayeux §4), the values of META. Exact names: never routed by prefix (CVE-2020-11020). */
export const META_CHANNELS: ReadonlySet<string> = new Set<string>(Object.values(META));

/** Prefix of the protocol channels (Bayeux §2.2.2): test with isMetaChannel, never by hand. */
export const META_PREFIX = '/meta/';
/** Prefix of the request/response channels (Bayeux §2.2.3): test with isServiceChannel. */
export const SERVICE_PREFIX = '/service/';

/** Per ASCII code: 1 for a segment character of the BNF (strict), 2 for one only `lenient` adds, else 0. */
const SEGMENT_CHARS: Uint8Array = (() => {
  const table = new Uint8Array(128);
  const strict = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_!~()$@';
  for (let i = 0; i < strict.length; i++) table[strict.charCodeAt(i)] = 1;
  const lenient = '. #+{}=';
  for (let i = 0; i < lenient.length; i++) table[lenient.charCodeAt(i)] = 2;
  return table;
})();

/**
 * The grammar check of a name (or, with `wildcard`, a pattern) in one pass over its characters: no split
 * array and no regular expression per segment, as every message's channel is checked (issue 13). Each
 * segment is one or more grammar characters; a pattern's LAST segment may instead be exactly `*` or `**`.
 */
function isWellFormed(name: string, opts: ChannelOptions | undefined, wildcard: boolean): boolean {
  const length = name.length;
  const maxLength = opts?.maxLength ?? DEFAULT_MAX_CHANNEL_LENGTH;
  if (length < 2 || length > maxLength || name.charCodeAt(0) !== 0x2f /* "/" */) return false;
  const maxSegments = opts?.maxSegments ?? DEFAULT_MAX_CHANNEL_SEGMENTS;
  const widest = opts?.grammar === 'strict' ? 1 : 2;
  let segments = 1;
  let start = 1; // where the current segment begins
  for (let i = 1; i < length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2f) {
      if (i === start || ++segments > maxSegments) return false; // an empty segment, or too deep
      start = i + 1;
      continue;
    }
    const kind = c < 128 ? (SEGMENT_CHARS[c] as number) : 0;
    if (kind !== 0 && kind <= widest) continue;
    // Bayeux §2.2.1: `*` or `**` as the whole last segment, nowhere else.
    const rest = length - i;
    return (
      wildcard &&
      c === 0x2a /* "*" */ &&
      i === start &&
      (rest === 1 || (rest === 2 && name.charCodeAt(i + 1) === 0x2a))
    );
  }
  return start < length;
}

/** A concrete channel name (no wildcard), valid under the grammar: what one may publish to. */
export function isValidChannel(name: unknown, opts?: ChannelOptions): name is string {
  return typeof name === 'string' && isWellFormed(name, opts, false);
}

/**
 * A valid subscription target: a concrete channel name, or a name whose LAST segment is `*` or `**`
 * (Bayeux §2.2.1; `/*` and `/**` alone are valid too). `/foo/*\/bar`, `/**\/foo`, `/foo*` are not.
 */
export function isValidPattern(pattern: unknown, opts?: ChannelOptions): pattern is string {
  return typeof pattern === 'string' && isWellFormed(pattern, opts, true);
}

/** True when the (already valid) pattern ends in `/*` or `/**`. */
export function isWildcard(pattern: string): boolean {
  return pattern.endsWith('/*') || pattern.endsWith('/**');
}

/** `/meta/...`: protocol channels, never broadcast, never subscribable by remote clients (Bayeux §2.2.2). */
export function isMetaChannel(name: string): boolean {
  return name.startsWith(META_PREFIX);
}

/** One of the exact five meta channels the server answers (Bayeux §4). */
export function isKnownMetaChannel(name: string): boolean {
  return META_CHANNELS.has(name);
}

/** `/service/...`: request/response channels, never broadcast, subscriptions not recorded (Bayeux §2.2.3). */
export function isServiceChannel(name: string): boolean {
  return name.startsWith(SERVICE_PREFIX);
}

/** A broadcast (pub/sub) channel: neither meta nor service. */
export function isBroadcastChannel(name: string): boolean {
  return !isMetaChannel(name) && !isServiceChannel(name);
}

/**
 * Does `pattern` (a concrete name or a trailing-wildcard pattern) match the concrete `channel`?
 * Bayeux §2.2.1: `/foo/*` matches `/foo/bar` but not `/foo`, `/foobar` or `/foo/bar/boo`;
 * `/foo/**` matches `/foo/bar` and `/foo/bar/boo` but not `/foo` or `/foobar/boo`; `/**` matches everything.
 */
export function matches(pattern: string, channel: string): boolean {
  if (pattern.endsWith('/**')) {
    // The prefix keeps its trailing "/" so `/foo/**` cannot match `/foobar/x`; "one or more" segments means
    // something must follow that "/".
    const prefix = pattern.slice(0, -2);
    return channel.length > prefix.length && channel.startsWith(prefix);
  }
  if (pattern.endsWith('/*')) {
    const prefix = pattern.slice(0, -1);
    return (
      channel.length > prefix.length &&
      channel.startsWith(prefix) &&
      channel.indexOf('/', prefix.length) === -1
    );
  }
  return pattern === channel;
}

/**
 * Every subscription key that matches the concrete `channel`, so a subscriber index keyed by pattern is found
 * in O(depth) Map lookups instead of a scan: `/a/b/c` -> `/a/b/c`, `/a/b/*`, `/a/b/**`, `/a/**`, `/**`.
 * The order is most specific first. `channel` must be a valid concrete name.
 */
export function expand(channel: string): string[] {
  const out = [channel];
  let end = channel.lastIndexOf('/');
  // The parent of the last segment gets both wildcards; every further ancestor only `**`.
  out.push(channel.slice(0, end + 1) + '*');
  while (end >= 0) {
    out.push(channel.slice(0, end + 1) + '**');
    end = end === 0 ? -1 : channel.lastIndexOf('/', end - 1);
  }
  return out;
}
