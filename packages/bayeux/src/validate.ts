// Untrusted JSON in, Bayeux messages out. Two levels of failure:
// - the whole batch (not JSON, a scalar): the transport answers HTTP 400 / closes the WebSocket; nothing in
//   it is processed;
// - one message (a missing channel, a bad id, a subscribe without subscription, a message past
//   maxMessages...): that message gets an unsuccessful reply built from the error table, the others in the
//   batch are processed normally.
// A request is bounded by its BYTES (the transport's maxMessageSize, as CometD and Faye do); the message
// count is only a guard far above any real client's batch (CometD's batch() sends hundreds or thousands of
// publishes in one request). Messages past the count are answered `400:<max>:too_many_messages` one by one,
// so a client sees which of its messages were not processed instead of losing its transport.
//
// What is REJECTED (per message, error in brackets):
//   not an object [400::bad_request]; no `channel` [400::channel_missing]; `channel` not a string, outside the
//   grammar, a wildcard (no publish to a glob), or a `/meta/` channel other than the exact five
//   [405::channel_invalid]; `id` not a string of 1..maxIdLength chars of [A-Za-z0-9_-] [405::message_id_invalid];
//   `clientId` not such a string (maxClientIdLength) [400:clientId:field_invalid]; `ext` or `advice` not an
//   object, or advice timeout/interval not finite numbers [400:<field>:field_invalid];
//   /meta/handshake without `version` or `supportedConnectionTypes` [400:<field>:field_missing], or with them
//   ill-shaped (`minimumVersion` too) [400:<field>:field_invalid];
//   /meta/connect without `connectionType` [400:connectionType:field_missing];
//   /meta/subscribe and /meta/unsubscribe without `subscription` or with an empty array [403::subscription_missing],
//   with an element that is not a valid name or trailing-wildcard pattern [403::subscription_invalid], or with
//   more than maxSubscriptionsPerMessage elements [403:<max>:subscriptions_exceeded];
//   a channel or subscription with more than channel.maxSegments segments [400:<max>:channel_too_deep];
//   a publish (any non-meta channel) without `data` [400:data:field_missing].
// What is IGNORED: `ext: null` and `advice: null` (removed), unknown fields (kept: extensions may use them),
//   reply-only fields a client sent (`successful`, `error`: the server builds its own replies).
// A missing `clientId` is NOT a validation failure: the server answers `402::session_unknown` with handshake
// advice, which is what clients act on (reference §1.5).

import {
  type ChannelOptions,
  DEFAULT_MAX_CHANNEL_SEGMENTS,
  isKnownMetaChannel,
  isMetaChannel,
  isTooDeep,
  isValidChannel,
  isValidPattern,
  META_PREFIX,
} from './channel.js';
import { type BayeuxError, bayeuxError, errorString } from './errors.js';
import { META, type Message } from './message.js';
import { isValidVersion } from './version.js';

export interface ValidationLimits {
  /** Max messages in one request (one HTTP body, all `message=` values together, one WebSocket message). */
  maxMessages?: number;
  /** Max length of a message `id`. */
  maxIdLength?: number;
  /** Max length of a `clientId`. */
  maxClientIdLength?: number;
  /** Max elements in one `subscription` array. */
  maxSubscriptionsPerMessage?: number;
  /** Max entries in `supportedConnectionTypes`. */
  maxConnectionTypes?: number;
  /** Channel grammar and max channel length. */
  channel?: ChannelOptions;
}

export const DEFAULT_VALIDATION_LIMITS = {
  maxMessages: 10_000,
  maxIdLength: 64,
  maxClientIdLength: 128,
  maxSubscriptionsPerMessage: 100,
  maxConnectionTypes: 16,
} as const;

/** One message of a batch: valid, or the error to answer it with. */
export type MessageCheck =
  | { ok: true; message: Message }
  | {
      ok: false;
      error: BayeuxError;
      /** The message's channel when it was a string (echoed in the reply so clients can route it). */
      channel: string | undefined;
      /** The message's id when it was a valid id (echoed so clients can match the reply). */
      id: string | undefined;
      /** §4.5: subscribe/unsubscribe replies MUST carry `subscription`; echoed when it was strings. */
      subscription: string | string[] | undefined;
    };

/** Why a whole request was refused. */
export const BATCH_FAILURES = {
  invalidJson: 'invalid_json',
  notObject: 'not_object',
} as const;
export type BatchFailure = (typeof BATCH_FAILURES)[keyof typeof BATCH_FAILURES];

export type BatchResult =
  | { ok: true; items: MessageCheck[] }
  | {
      ok: false;
      reason: BatchFailure /** Short text for an HTTP 400 body or a close reason. */;
      detail: string;
    };

/** `[A-Za-z0-9_-]`: the characters of an id and a clientId. */
function isTokenChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f || // _
    c === 0x2d // -
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `^[A-Za-z0-9_-]+$` up to `maxLength`, as a loop (an id and a clientId per message: no RegExp run). */
function isToken(v: unknown, maxLength: number): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLength) return false;
  for (let i = 0; i < v.length; i++) if (!isTokenChar(v.charCodeAt(i))) return false;
  return true;
}

function fail(
  error: BayeuxError,
  raw: Record<string, unknown> | undefined,
  id: string | undefined,
): MessageCheck {
  const channel = raw?.channel;
  const sub = raw?.subscription;
  const subscription =
    typeof sub === 'string' || (Array.isArray(sub) && sub.every((s) => typeof s === 'string'))
      ? (sub as string | string[])
      : undefined;
  // Echo only what is bounded: an over-long channel string is not worth sending back.
  const echo = typeof channel === 'string' && channel.length <= MAX_ECHOED_CHANNEL ? channel : undefined;
  return { ok: false, error, channel: echo, id, subscription };
}

const MAX_ECHOED_CHANNEL = 1024;

/** Validates one untrusted value as a Bayeux message. May delete `ext: null` / `advice: null` in place. */
export function validateMessage(raw: unknown, limits: ValidationLimits = {}): MessageCheck {
  if (!isPlainObject(raw)) return fail(bayeuxError('badRequest'), undefined, undefined);
  const maxId = limits.maxIdLength ?? DEFAULT_VALIDATION_LIMITS.maxIdLength;
  const { channel, id } = raw;
  const goodId = isToken(id, maxId) ? id : undefined;
  if (id !== undefined && goodId === undefined) return fail(bayeuxError('messageIdInvalid'), raw, undefined);
  if (channel === undefined) return fail(bayeuxError('channelMissing'), raw, goodId);
  if (typeof channel === 'string' && isTooDeep(channel, limits.channel)) {
    return fail(bayeuxError('channelTooDeep', String(maxSegmentsOf(limits))), raw, goodId);
  }
  // §2.2.1: publishing to a glob is not defined; a message channel is always a concrete name.
  if (!isValidChannel(channel, limits.channel) || (isMetaChannel(channel) && !isKnownMetaChannel(channel))) {
    return fail(bayeuxError('channelInvalid'), raw, goodId);
  }
  const maxClientId = limits.maxClientIdLength ?? DEFAULT_VALIDATION_LIMITS.maxClientIdLength;
  if (raw.clientId !== undefined && !isToken(raw.clientId, maxClientId)) {
    return fail(bayeuxError('fieldInvalid', 'clientId'), raw, goodId);
  }
  // Each field checked in turn, not a loop over a fresh array of names per message.
  const badObject = objectField(raw, 'ext') ?? objectField(raw, 'advice');
  if (badObject !== undefined) return fail(bayeuxError('fieldInvalid', badObject), raw, goodId);
  const advice = raw.advice;
  if (isPlainObject(advice) && !(isFiniteOrAbsent(advice.timeout) && isFiniteOrAbsent(advice.interval))) {
    return fail(bayeuxError('fieldInvalid', 'advice'), raw, goodId);
  }
  const specific = checkByChannel(raw, channel, limits);
  if (specific !== undefined) return fail(specific, raw, goodId);
  return { ok: true, message: raw as Message };
}

/** `ext` / `advice`: null is dropped in place; anything else but an object names the invalid field. */
function objectField(raw: Record<string, unknown>, field: 'ext' | 'advice'): 'ext' | 'advice' | undefined {
  const v = raw[field];
  if (v === null) delete raw[field];
  else if (v !== undefined && !isPlainObject(v)) return field;
  return undefined;
}

function isFiniteOrAbsent(v: unknown): boolean {
  return v === undefined || (typeof v === 'number' && Number.isFinite(v));
}

/** The fields each kind of message MUST carry (Bayeux §4, §5.1.1). */
function checkByChannel(raw: Record<string, unknown>, channel: string, limits: ValidationLimits) {
  switch (channel) {
    case META.handshake: {
      if (raw.version === undefined) return bayeuxError('fieldMissing', 'version');
      if (!isValidVersion(raw.version)) return bayeuxError('fieldInvalid', 'version');
      if (raw.minimumVersion !== undefined && !isValidVersion(raw.minimumVersion)) {
        return bayeuxError('fieldInvalid', 'minimumVersion');
      }
      const types = raw.supportedConnectionTypes;
      if (types === undefined) return bayeuxError('fieldMissing', 'supportedConnectionTypes');
      const maxTypes = limits.maxConnectionTypes ?? DEFAULT_VALIDATION_LIMITS.maxConnectionTypes;
      if (
        !Array.isArray(types) ||
        types.length > maxTypes ||
        !types.every((t) => typeof t === 'string' && t.length <= 64)
      ) {
        return bayeuxError('fieldInvalid', 'supportedConnectionTypes');
      }
      return undefined;
    }
    case META.connect:
      if (raw.connectionType === undefined) return bayeuxError('fieldMissing', 'connectionType');
      if (typeof raw.connectionType !== 'string' || raw.connectionType.length > 64) {
        return bayeuxError('fieldInvalid', 'connectionType');
      }
      return undefined;
    case META.subscribe:
    case META.unsubscribe:
      return checkSubscription(raw.subscription, limits);
    case META.disconnect:
      return undefined;
    default:
      // Any other channel is a publish (meta channels beyond the five were refused above).
      if (!('data' in raw) || raw.data === undefined) return bayeuxError('fieldMissing', 'data');
      return undefined;
  }
}

function checkSubscription(subscription: unknown, limits: ValidationLimits): BayeuxError | undefined {
  if (subscription === undefined || (Array.isArray(subscription) && subscription.length === 0)) {
    return bayeuxError('subscriptionMissing');
  }
  const list = Array.isArray(subscription) ? subscription : [subscription];
  const max = limits.maxSubscriptionsPerMessage ?? DEFAULT_VALIDATION_LIMITS.maxSubscriptionsPerMessage;
  if (list.length > max) return bayeuxError('subscriptionsExceeded', String(max));
  for (const s of list) {
    if (typeof s === 'string' && isTooDeep(s, limits.channel)) {
      return bayeuxError('channelTooDeep', String(maxSegmentsOf(limits)));
    }
    if (!isValidPattern(s, limits.channel)) return bayeuxError('subscriptionInvalid');
  }
  return undefined;
}

function maxSegmentsOf(limits: ValidationLimits): number {
  return limits.channel?.maxSegments ?? DEFAULT_MAX_CHANNEL_SEGMENTS;
}

/** The subscription field as a list (after validation). */
export function subscriptionList(message: Message): string[] {
  const s = message.subscription;
  if (s === undefined) return [];
  return Array.isArray(s) ? s : [s];
}

/**
 * Validates already-parsed JSON: an array of messages or one bare object (Bayeux §2.5: servers MUST accept an
 * array and MAY accept a single object). A scalar fails the whole batch; messages past maxMessages each get
 * a `too_many_messages` check (not validated, not processed).
 */
export function validateBatch(json: unknown, limits: ValidationLimits = {}): BatchResult {
  const list = Array.isArray(json) ? json : isPlainObject(json) ? [json] : undefined;
  if (list === undefined) {
    return {
      ok: false,
      reason: 'not_object',
      detail: 'expected a JSON array of messages or one message object',
    };
  }
  const max = limits.maxMessages ?? DEFAULT_VALIDATION_LIMITS.maxMessages;
  const items: MessageCheck[] = [];
  for (let i = 0; i < list.length; i++) {
    items.push(i < max ? validateMessage(list[i], limits) : overflowCheck(list[i], max, limits));
  }
  return { ok: true, items };
}

/** The check for a message past maxMessages: refused, with its channel and id echoed when usable. */
export function overflowCheck(raw: unknown, max: number, limits: ValidationLimits = {}): MessageCheck {
  const obj = isPlainObject(raw) ? raw : undefined;
  const maxId = limits.maxIdLength ?? DEFAULT_VALIDATION_LIMITS.maxIdLength;
  const id = isToken(obj?.id, maxId) ? (obj?.id as string) : undefined;
  return fail(bayeuxError('tooManyMessages', String(max)), obj, id);
}

/**
 * The replies for the messages of a request past `max` (`rest` = those messages). Each message a client
 * can match a reply to (it has an id or a channel) gets its own `400:<max>:too_many_messages` reply, for at
 * most `max` of them; the others (no id nor channel, or beyond those `max`) share one `/meta/unsuccessful`
 * reply. So a flood of `{}` costs one reply, and a request never gets more than 2 x max + 1 replies, each
 * echoing at most a 64-char id and a 1 KiB channel of its own message.
 */
export function overflowReplies(
  rest: readonly unknown[],
  max: number,
  limits: ValidationLimits = {},
): Message[] {
  const replies: Message[] = [];
  let shared = false;
  for (const raw of rest) {
    const check = overflowCheck(raw, max, limits);
    if (check.ok) continue;
    if ((check.id === undefined && check.channel === undefined) || replies.length >= max) shared = true;
    else replies.push(failureReply(check));
  }
  if (shared) {
    replies.push({
      channel: UNSUCCESSFUL_CHANNEL,
      successful: false,
      error: errorString('tooManyMessages', String(max)),
    });
  }
  return replies;
}

/**
 * Parses JSON text (an HTTP body, a WebSocket text message) or several texts (the values of a multi-valued
 * form `message=` parameter, Bayeux §6.1: each an object or an array, all counted together against
 * maxMessages) and validates the result. Never throws.
 */
export function parseBatch(text: string | readonly string[], limits: ValidationLimits = {}): BatchResult {
  const texts = typeof text === 'string' ? [text] : text;
  const all: unknown[] = [];
  for (const t of texts) {
    let json: unknown;
    try {
      json = JSON.parse(t);
    } catch {
      return { ok: false, reason: 'invalid_json', detail: 'request body is not valid JSON' };
    }
    if (Array.isArray(json)) {
      for (const m of json) all.push(m);
    } else if (isPlainObject(json)) {
      all.push(json);
    } else {
      return {
        ok: false,
        reason: 'not_object',
        detail: 'expected a JSON array of messages or one message object',
      };
    }
  }
  return validateBatch(all, limits);
}

/** Channel of a failure reply to a message that named no channel (CometD's convention). */
const UNSUCCESSFUL_CHANNEL = `${META_PREFIX}unsuccessful`;

/** The unsuccessful reply for a failed check (Bayeux §3.12, §3.14): same channel and id as the request. */
export function failureReply(check: Extract<MessageCheck, { ok: false }>): Message {
  const reply: Message = { channel: check.channel ?? UNSUCCESSFUL_CHANNEL, successful: false };
  if (check.id !== undefined) reply.id = check.id;
  if (
    check.subscription !== undefined &&
    (check.channel === META.subscribe || check.channel === META.unsubscribe)
  ) {
    reply.subscription = check.subscription;
  }
  reply.error = check.error.toString();
  return reply;
}
