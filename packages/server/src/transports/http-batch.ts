// Runs one HTTP request's batch through the dispatcher and hands the encoded messages to the writer,
// waiting for a held connect. Shared by long-polling and callback-polling.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { META } from '@pushwire/bayeux';
import { browserIdOf, ensureBrowserId } from '../browser-cookie.js';
import type { BatchContext, Core } from '../core.js';
import { processBatch } from '../dispatcher.js';
import type { TransportName } from '../options.js';
import { isCrossSite, remoteAddressOf } from '../request-info.js';
import type { TakenMessages } from '../taken-messages.js';
import { CloseSignal } from './close-signal.js';
import type { ParsedBatch } from './http-body.js';

export async function runHttpBatch(
  core: Core,
  req: IncomingMessage,
  res: ServerResponse,
  batch: ParsedBatch,
  transport: TransportName,
  taken?: TakenMessages,
): Promise<string[]> {
  const { messages } = batch;
  const closed = new CloseSignal();
  const onClose = (): void => {
    if (!res.writableFinished) closed.abort();
  };
  // `on`, not `once`: a response emits 'close' once, and `once` wraps every listener in a bound function
  // and its state object (two allocations per request, on the hot path of every long-poll).
  res.on('close', onClose);
  // The browser id is issued with the handshake (CometD) and read on every later request.
  const handshaking = messages.some((m) => m.channel === META.handshake);
  const browserId = handshaking ? ensureBrowserId(req, res) : browserIdOf(req);
  const ctx: BatchContext = {
    transport,
    req,
    signal: closed,
    remoteAddress: remoteAddressOf(req, core.options.trustProxy),
    crossSite: isCrossSite(req),
  };
  // Behind a proxy (trustProxy) an HTTP connection is the proxy's, shared by many clients: the
  // per-connection handshake limit then applies to WebSockets only (each is its own connection end to end).
  if (!core.options.trustProxy) ctx.connection = req.socket;
  if (browserId !== undefined) ctx.browserId = browserId;
  if (taken !== undefined) ctx.taken = taken;
  let outcome: Awaited<ReturnType<typeof processBatch>>;
  try {
    outcome = await processBatch(core, messages, ctx);
  } catch (err) {
    res.off('close', onClose);
    throw err;
  }
  const { held } = outcome;
  if (held === undefined) {
    res.off('close', onClose);
    return withOverflow(outcome.messages, batch);
  }
  // Returned, not awaited: a held connect waits up to `timeout` and an idle client always has one, so every
  // async function suspended on it is paid per waiting client (its frame and registers, its promise, the
  // await reactions: about 0.4 KB per layer). Returning the promise ends this function now.
  const replies = outcome.messages;
  return held.then(
    (more) => {
      res.off('close', onClose);
      return withOverflow(replies.concat(more), batch);
    },
    (err: unknown) => {
      res.off('close', onClose);
      throw err;
    },
  );
}

/** The replies to a request, followed by those for its messages past the count guard (each once). */
export function withOverflow(replies: string[], batch: ParsedBatch): string[] {
  if (batch.overflow.length === 0) return replies;
  for (const m of batch.overflow) replies.push(JSON.stringify(m));
  return replies;
}

/**
 * True when a reply can no longer reach the peer: the response ended or was destroyed, or its socket is
 * gone (a reset peer: `res.destroyed` stays false until the response's own 'close', a tick later, and a
 * write would go nowhere).
 */
export function responseGone(req: IncomingMessage, res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded || req.socket.destroyed;
}

/**
 * Writes a 200 reply in ONE `writeHead` with a flat header array (`[name, value, ...]`): the headers every
 * Bayeux HTTP reply carries (never cached: Cache-Control, and Pragma for HTTP/1.0 caches), the type and the
 * length. When nothing was set with `setHeader` before (no CORS, no cookie: every connect and publish of a
 * same-origin client), Node writes the array as given: no header map, no lower-cased copies, no per-call
 * validation of several setHeader calls (issue 13: they were among the top Node frames per reply). Headers
 * set before (CORS, Set-Cookie) are merged by Node as usual. `extra`: more pairs, flat.
 */
export function writeOk(
  res: ServerResponse,
  contentType: string,
  body: string,
  extra?: readonly string[],
): void {
  const headers = [
    'Content-Type',
    contentType,
    'Content-Length',
    String(Buffer.byteLength(body)),
    'Cache-Control',
    'no-cache, no-store',
    'Pragma',
    'no-cache',
  ];
  if (extra !== undefined) for (const h of extra) headers.push(h);
  res.writeHead(200, headers);
  res.end(body);
}

/** A short plain-text refusal (400 / 413 / 403 / 405). */
export function refuse(
  res: ServerResponse,
  status: number,
  reason: string,
  extra?: Record<string, string>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${reason}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-cache, no-store',
    ...extra,
  });
  res.end(body);
}
