// Per-channel authorizers (DESIGN.md "Authorization"; CometD java_server_authorizers.adoc). An authorizer
// is added on a channel or a wildcard pattern and answers 'grant', 'deny' or 'ignore' for a subscribe or
// a publish. CometD's algorithm, run after the security policy allowed the operation:
//   1. no authorizer applies -> grant;  2. none grants -> deny (`denied_by_not_granting`);
//   3. any denies -> deny;  4. otherwise grant.
// Which apply: for a publish to (or subscription to) a concrete channel, those on the channel and on every
// wildcard pattern matching it (`/chat/room/10`: `/chat/room/10`, `/chat/room/*`, `/chat/room/**`,
// `/chat/**`, `/**`). For a WILDCARD subscription, every authorizer whose pattern can match a channel the
// subscription also matches: a subscription to `/chat/**` meets the authorizer of `/chat/private`, so a
// wildcard cannot bypass a channel's rule (CometD only looks at the subscription's own name).

import type { Message } from '@pushwire/bayeux';
import { expand, isValidPattern, isWildcard, matches } from '@pushwire/bayeux';
import type { RequestContext } from './options.js';

export type AuthorizerOperation = 'subscribe' | 'publish';
export type AuthorizerResult = 'grant' | 'deny' | 'ignore';

export interface AuthorizerRequest {
  operation: AuthorizerOperation;
  clientId: string;
  /** The channel published to, or the subscription as sent (may be a wildcard pattern). */
  channel: string;
  message: Message;
  ctx: RequestContext;
}

export type Authorizer = (request: AuthorizerRequest) => AuthorizerResult | Promise<AuthorizerResult>;

/** Why an operation was refused: the args of `publish_denied` / `subscribe_denied`. */
export type AuthorizerDenial = 'denied_by_authorizer' | 'denied_by_not_granting';

function split(pattern: string): { segments: string[]; wild: '' | '*' | '**' } {
  const segments = pattern.slice(1).split('/');
  const last = segments[segments.length - 1];
  if (last === '*' || last === '**') {
    segments.pop();
    return { segments, wild: last };
  }
  return { segments, wild: '' };
}

/** True when some concrete channel matches both `a` and `b` (each a name or a trailing-wildcard pattern). */
export function overlaps(a: string, b: string): boolean {
  if (!isWildcard(a)) return matches(b, a);
  if (!isWildcard(b)) return matches(a, b);
  let x = split(a);
  let y = split(b);
  if (x.segments.length > y.segments.length) [x, y] = [y, x];
  for (let i = 0; i < x.segments.length; i++) if (x.segments[i] !== y.segments[i]) return false;
  // x (the shorter prefix) covers exactly one more segment with `*`: y must then add none of its own.
  return x.wild === '**' || x.segments.length === y.segments.length;
}

export class AuthorizerRegistry {
  readonly #byPattern = new Map<string, Authorizer[]>();

  get size(): number {
    return this.#byPattern.size;
  }

  add(pattern: string, authorizer: Authorizer): void {
    if (!isValidPattern(pattern))
      throw new TypeError(`pushwire: addAuthorizer needs a channel or pattern, got '${pattern}'`);
    const list = this.#byPattern.get(pattern);
    if (list) list.push(authorizer);
    else this.#byPattern.set(pattern, [authorizer]);
  }

  remove(pattern: string, authorizer: Authorizer): boolean {
    const list = this.#byPattern.get(pattern);
    const i = list?.indexOf(authorizer) ?? -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.#byPattern.delete(pattern);
    return true;
  }

  #applicable(channel: string): Authorizer[] {
    const out: Authorizer[] = [];
    if (!isWildcard(channel)) {
      for (const key of expand(channel)) out.push(...(this.#byPattern.get(key) ?? []));
      return out;
    }
    for (const [pattern, list] of this.#byPattern) if (overlaps(pattern, channel)) out.push(...list);
    return out;
  }

  /** undefined when allowed, else the reason. Authorizers run in order; the first deny short-circuits. */
  async check(request: AuthorizerRequest): Promise<AuthorizerDenial | undefined> {
    if (this.#byPattern.size === 0) return undefined;
    const list = this.#applicable(request.channel);
    if (list.length === 0) return undefined;
    let granted = false;
    for (const authorizer of list) {
      const result = await authorizer(request);
      if (result === 'deny') return 'denied_by_authorizer';
      if (result === 'grant') granted = true;
    }
    return granted ? undefined : 'denied_by_not_granting';
  }
}
