// The callback-polling (JSON-P) transport (Bayeux §3.4 SHOULD): GET `?message=<json>&jsonp=<name>`, the
// reply is a script calling `name(<json array>)`. Hardened like Faye 1.0.3 against Rosetta Flash and
// content sniffing: a strict callback identifier and length cap, a `/**/` prefix, `text/javascript`,
// `X-Content-Type-Options: nosniff`, and U+2028/U+2029 escaped (they end a line in older JavaScript).
// Messages for such clients ride only connect replies (the dispatcher never piggy-backs them elsewhere).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorString, type Message } from '@pushwire/bayeux';
import type { Core } from '../core.js';
import type { CorsOptions } from '../options.js';
import { isCrossSite, refererOrigin, remoteAddressOf } from '../request-info.js';
import { writeOk } from './http-batch.js';
import { HttpError, parseFormMessages } from './http-body.js';
import type { HttpExchange } from './http-exchange.js';

export const DEFAULT_JSONP_CALLBACK = 'jsonpcallback';

/** No sniffing a script into something else, and a download, never a page, if opened directly. */
const JSONP_HEADERS = [
  'X-Content-Type-Options',
  'nosniff',
  'Content-Disposition',
  'attachment; filename=f.txt',
];

const CALLBACK = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/** The callback name from the query, checked against the pattern and `maxLength`. */
export function jsonpCallbackOf(query: URLSearchParams, maxLength: number): string {
  const name = query.get('jsonp') ?? DEFAULT_JSONP_CALLBACK;
  if (name.length > maxLength || !CALLBACK.test(name)) {
    throw new HttpError(400, 'BAD_CALLBACK', 'invalid jsonp callback name');
  }
  return name;
}

/** The script body: `/**\/name(<json>);` with U+2028/U+2029 escaped. */
export function jsonpBody(callback: string, json: string): string {
  return `/**/${callback}(${json.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')});`;
}

/**
 * A cross-site script load may go on only when the page's origin (Origin when sent, else the Referer's; a
 * <script> tag sends no Origin) is in `cors.origins`, or `cors.origins` is '*'.
 */
function crossSiteAllowed(req: IncomingMessage, cors: CorsOptions | undefined): boolean {
  if (cors === undefined) return false;
  if (cors.origins === '*') return true;
  const origin = req.headers.origin ?? refererOrigin(req);
  return origin !== undefined && cors.origins.includes(origin);
}

/** The reply to one refused message (not validated: only a short string channel and id are echoed). */
function crossSiteDenied(message: Message): Message {
  const channel = message.channel as unknown;
  const reply: Message = {
    channel: typeof channel === 'string' && channel.length <= 512 ? channel : '/meta/unsuccessful',
    successful: false,
    error: errorString('crossSiteDenied'),
    advice: { reconnect: 'none' },
  };
  const id = message.id as unknown;
  if (typeof id === 'string' && id.length <= 64) reply.id = id;
  return reply;
}

/**
 * Checks one GET and starts its exchange: the callback name and size first (HttpError: the router answers
 * it), then the batch, or at once the refusals of a cross-site request that may not go on.
 */
export function serveCallbackPolling(
  core: Core,
  req: IncomingMessage,
  exchange: HttpExchange,
  query: URLSearchParams,
): void {
  const callback = jsonpCallbackOf(query, core.options.maxJsonpCallbackLength);
  let size = 0;
  for (const v of query.getAll('message')) size += Buffer.byteLength(v);
  if (size > core.options.maxMessageSize) {
    throw new HttpError(413, 'BODY_TOO_LARGE', `message larger than ${core.options.maxMessageSize} bytes`);
  }
  const batch = parseFormMessages(query, core.options.maxMessagesPerRequest);
  exchange.setCallback(callback);
  if (isCrossSite(req) && !crossSiteAllowed(req, core.options.cors)) {
    // Refused before anything runs (no handshake, no publish with the user's cookies). The answer is a
    // script all the same: a 403 would only fire the tag's onerror and the client would retry forever;
    // Bayeux errors with reconnect 'none' reach its callback and stop it (issue 8 item 9).
    core.stats.count('cross-site', remoteAddressOf(req, core.options.trustProxy));
    exchange.answer(batch.messages.map((m) => JSON.stringify(crossSiteDenied(m))));
    return;
  }
  exchange.run(batch, 'callback-polling');
}

/** Writes the script (`jsonpBody`) with the hardening headers. */
export function writeJsonp(res: ServerResponse, script: string): void {
  writeOk(res, 'text/javascript; charset=utf-8', script, JSONP_HEADERS);
}
