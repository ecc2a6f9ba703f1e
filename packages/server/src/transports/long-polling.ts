// The long-polling transport (Bayeux §1.4.5.i, MUST): POST a JSON array (or one object) or a form with
// `message=` values; the reply is a JSON array, never cached. A held /meta/connect keeps the request open.

import type { IncomingMessage } from 'node:http';
import type { Core } from '../core.js';
import {
  decodePostBody,
  HttpError,
  type ParsedBatch,
  parseFormMessages,
  parseMessages,
} from './http-body.js';
import type { HttpExchange } from './http-exchange.js';

/**
 * Messages from a body a framework's parser already consumed (Express `express.json()`, `text()`,
 * `urlencoded()`, Koa bodyparser setting `req.body`): the stream is drained, so they come from `req.body`,
 * bounded by the same limits as a raw body. Undefined when the stream is still ours to read.
 */
function preParsedMessages(
  req: IncomingMessage,
  maxSize: number,
  maxMessages: number,
): ParsedBatch | undefined {
  const body = (req as IncomingMessage & { body?: unknown }).body;
  if (!req.readableEnded || body === undefined || body === null) return undefined;
  const tooBig = (): HttpError => new HttpError(413, 'BODY_TOO_LARGE', `body larger than ${maxSize} bytes`);
  if (Buffer.isBuffer(body) || typeof body === 'string') {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
    if (buf.length > maxSize) throw tooBig();
    return decodePostBody(req.headers['content-type'], buf, maxMessages);
  }
  const form = body as Record<string, unknown>;
  if (typeof body === 'object' && !Array.isArray(body) && 'message' in form && !('channel' in form)) {
    const values = Array.isArray(form.message) ? form.message : [form.message];
    const params = new URLSearchParams();
    for (const v of values) if (typeof v === 'string') params.append('message', v);
    if (params.toString().length > maxSize) throw tooBig();
    return parseFormMessages(params, maxMessages);
  }
  const text = JSON.stringify(body);
  if (Buffer.byteLength(text) > maxSize) throw tooBig();
  return parseMessages(text, maxMessages);
}

/** Serves one POST; throws HttpError for 400/413 (the router answers it). */
export function serveLongPolling(core: Core, req: IncomingMessage, exchange: HttpExchange): void {
  const { maxMessageSize, maxMessagesPerRequest } = core.options;
  const batch = preParsedMessages(req, maxMessageSize, maxMessagesPerRequest);
  if (batch === undefined) exchange.readBody();
  else exchange.run(batch, 'long-polling');
}
