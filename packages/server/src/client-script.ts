// GET <mount>/client.js: the browser client, so a page needs nothing but the Bayeux endpoint it talks to
// (CometD and Faye serve their clients from the endpoint the same way: Faye at <mount>/client.js).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientScriptSource } from './options.js';

export const CLIENT_SCRIPT_NAME = 'client.js';

/** True when `req` asks for `<mount>/client.js` (query ignored). */
export function isClientScriptRequest(req: IncomingMessage, mount: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path === `${mount}/${CLIENT_SCRIPT_NAME}`;
}

/** Answers with the script, or 500 with a short reason when it cannot be produced. */
export async function serveClientScript(
  req: IncomingMessage,
  res: ServerResponse,
  source: ClientScriptSource,
): Promise<void> {
  let body: Buffer;
  try {
    body = Buffer.from(await source(), 'utf8');
  } catch {
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end('client script unavailable\n');
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Content-Length': body.length,
    'X-Content-Type-Options': 'nosniff',
    // Revalidate on every load so a page never runs a client older than the server it talks to.
    'Cache-Control': 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
