// The long-polling transport (Bayeux §1.4.5.i, MUST): POST a JSON array (or one object) or a form with
// `message=` values; the reply is a JSON array, never cached. A held /meta/connect keeps the request open.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../core.js';
import { encodeBatch } from '../dispatcher.js';
import { applyCorsHeaders } from './cors.js';
import { noCache, runHttpBatch } from './http-batch.js';
import { decodePostBody, readBody } from './http-body.js';

/** Serves one POST; throws HttpError for 400/413 (the router answers it). */
export async function serveLongPolling(core: Core, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, core.options.maxMessageSize);
  const messages = decodePostBody(req.headers['content-type'], body, core.options.maxMessagesPerRequest);
  const out = await runHttpBatch(core, req, res, messages, 'long-polling');
  if (res.destroyed || res.writableEnded) return;
  const text = encodeBatch(out);
  applyCorsHeaders(req, res, core.options.cors);
  noCache(res);
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
