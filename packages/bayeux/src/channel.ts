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

const STRICT_SEGMENT = /^[A-Za-z0-9\-_!~()$@]+$/;
const LENIENT_SEGMENT = /^[A-Za-z0-9\-_!~()$@. #+{}=]+$/;

/** The five meta channels a server handles (Bayeux §4), the values of META. Exact names: never routed by prefix (CVE-2020-11020). */
export const META_CHANNELS: ReadonlySet<string> = new Set<string>(Object.values(META));

/** Prefix of the protocol channels (Bayeux §2.2.2): test with isMetaChannel, never by hand. */
export const META_PREFIX = '/meta/';
/** Prefix of the request/response channels (Bayeux §2.2.3): test with isServiceChannel. */
export const SERVICE_PREFIX = '/service/';

function segmentsOf(name: string, opts: ChannelOptions | undefined): string[] | undefined {
  const maxLength = opts?.maxLength ?? DEFAULT_MAX_CHANNEL_LENGTH;
  if (name.length < 2 || name.length > maxLength || name.charCodeAt(0) !== 0x2f /* "/" */) return undefined;
  if (isTooDeep(name, opts)) return undefined;
  return name.slice(1).split('/');
}

function isSegment(segment: string, grammar: ChannelGrammar): boolean {
  return (grammar === 'strict' ? STRICT_SEGMENT : LENIENT_SEGMENT).test(segment);
}

/** A concrete channel name (no wildcard), valid under the grammar: what one may publish to. */
export function isValidChannel(name: unknown, opts?: ChannelOptions): name is string {
  if (typeof name !== 'string') return false;
  const segments = segmentsOf(name, opts);
  if (segments === undefined) return false;
  const grammar = opts?.grammar ?? 'lenient';
  for (const segment of segments) if (!isSegment(segment, grammar)) return false;
  return true;
}

/**
 * A valid subscription target: a concrete channel name, or a name whose LAST segment is `*` or `**`
 * (Bayeux §2.2.1; `/*` and `/**` alone are valid too). `/foo/*\/bar`, `/**\/foo`, `/foo*` are not.
 */
export function isValidPattern(pattern: unknown, opts?: ChannelOptions): pattern is string {
  if (typeof pattern !== 'string') return false;
  const segments = segmentsOf(pattern, opts);
  if (segments === undefined) return false;
  const grammar = opts?.grammar ?? 'lenient';
  const last = segments.length - 1;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (i === last && (segment === '*' || segment === '**')) continue;
    if (!isSegment(segment, grammar)) return false;
  }
  return true;
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
