// The long-polling transport (Bayeux §1.4.5.i, MUST): POST a JSON array (or one object) or a form with
// `message=` values; the reply is a JSON array, never cached. A held /meta/connect keeps the request open.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../core.js';
import { encodeBatch } from '../dispatcher.js';
import { TakenMessages } from '../taken-messages.js';
import { applyCorsHeaders } from './cors.js';
import { responseGone, runHttpBatch, writeOk } from './http-batch.js';
import {
  decodePostBody,
  HttpError,
  type ParsedBatch,
  parseFormMessages,
  parseMessages,
  readBody,
} from './http-body.js';

const JSON_TYPE = 'application/json; charset=utf-8';

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
export async function serveLongPolling(core: Core, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { maxMessageSize, maxMessagesPerRequest, bodyTimeout } = core.options;
  let batch = preParsedMessages(req, maxMessageSize, maxMessagesPerRequest);
  if (batch === undefined) {
    const body = await readBody(req, maxMessageSize, bodyTimeout);
    batch = decodePostBody(req.headers['content-type'], body, maxMessagesPerRequest);
  }
  // Returned, not awaited: nothing stays suspended here while a connect is held (http-batch.ts).
  const taken = new TakenMessages();
  return runHttpBatch(core, req, res, batch, 'long-polling', taken).then((out) =>
    writeReply(core, req, res, out, taken),
  );
}

function writeReply(
  core: Core,
  req: IncomingMessage,
  res: ServerResponse,
  out: string[],
  taken: TakenMessages,
): void {
  if (responseGone(req, res)) {
    // Messages taken for this reply would be written to nobody: back to the head of the queue.
    taken.putBack(core);
    return;
  }
  applyCorsHeaders(req, res, core.options.cors);
  writeOk(res, JSON_TYPE, encodeBatch(out));
}
