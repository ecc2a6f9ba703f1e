// Runs one HTTP request's batch through the dispatcher and hands the encoded messages to the writer,
// waiting for a held connect. Shared by long-polling and callback-polling.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Message } from '@pushwire/bayeux';
import { META } from '@pushwire/bayeux';
import { browserIdOf, ensureBrowserId } from '../browser-cookie.js';
import type { BatchContext, Core } from '../core.js';
import { processBatch } from '../dispatcher.js';
import type { TransportName } from '../options.js';
import { CloseSignal } from './close-signal.js';

export async function runHttpBatch(
  core: Core,
  req: IncomingMessage,
  res: ServerResponse,
  messages: Message[],
  transport: TransportName,
): Promise<string[]> {
  const closed = new CloseSignal();
  const onClose = (): void => {
    if (!res.writableFinished) closed.abort();
  };
  res.once('close', onClose);
  // The browser id is issued with the handshake (CometD) and read on every later request.
  const handshaking = messages.some((m) => m.channel === META.handshake);
  const browserId = handshaking ? ensureBrowserId(req, res) : browserIdOf(req);
  const ctx: BatchContext = { transport, req, signal: closed };
  if (browserId !== undefined) ctx.browserId = browserId;
  try {
    const outcome = await processBatch(core, messages, ctx);
    if (outcome.held === undefined) return outcome.messages;
    const held = await outcome.held;
    return outcome.messages.concat(held);
  } finally {
    res.off('close', onClose);
  }
}

/** Headers every Bayeux HTTP reply carries: polling replies must never be cached. */
export function noCache(res: ServerResponse): void {
  res.setHeader('Cache-Control', 'no-cache, no-store');
  res.setHeader('Pragma', 'no-cache');
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
