// GET <mount>/client.js: the browser client, so a page needs nothing but the Bayeux endpoint it talks to
// (CometD and Faye serve their clients from the endpoint the same way: Faye at <mount>/client.js).

import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

export const CLIENT_SCRIPT_NAME = 'client.js';

/** Supplies the JavaScript served at `<mount>/client.js`. */
export type ClientScriptSource = () => Promise<string>;

/** The package export of the prebuilt IIFE bundle (written by `npm run build` / the client's build:browser). */
export const CLIENT_BUNDLE_EXPORT = '@pushwire/client/browser-iife';

/** The prebuilt bundle is not there (not built yet): served as 404 with this message, never built at run time. */
export class ClientScriptMissingError extends Error {
  readonly code = 'CLIENT_SCRIPT_MISSING';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClientScriptMissingError';
  }
}

let bundled: Promise<string> | undefined;

/**
 * The IIFE bundle of @pushwire/client (global `Pushwire`), read from the file `npm run build` writes, once
 * per process. Nothing is compiled at run time: the server does not need esbuild. A missing file rejects
 * with ClientScriptMissingError (and is looked for again on the next request, so a build fixes it).
 */
export function bundledClientScript(): Promise<string> {
  bundled ??= readBundle();
  bundled.catch(() => {
    bundled = undefined;
  });
  return bundled;
}

async function readBundle(): Promise<string> {
  let path: string;
  try {
    path = createRequire(import.meta.url).resolve(CLIENT_BUNDLE_EXPORT);
  } catch (err) {
    throw new ClientScriptMissingError(
      `pushwire: cannot resolve ${CLIENT_BUNDLE_EXPORT} (is @pushwire/client installed?)`,
      { cause: err },
    );
  }
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ClientScriptMissingError(
      `pushwire: the browser client bundle ${path} is missing: run \`npm run build\` (or \`npm run build:browser -w @pushwire/client\`)`,
      { cause: err },
    );
  }
}

/** True when `req` asks for `<mount>/client.js` (query ignored). */
export function isClientScriptRequest(req: IncomingMessage, mount: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path === `${mount}/${CLIENT_SCRIPT_NAME}`;
}

/**
 * Answers with the script; 404 with the reason when the prebuilt bundle is missing (ClientScriptMissingError),
 * 500 with a short reason when a supplied source fails. `onError` hears the failure (the operator must learn
 * that the bundle was never built).
 */
export async function serveClientScript(
  req: IncomingMessage,
  res: ServerResponse,
  source: ClientScriptSource,
  onError?: (err: unknown) => void,
): Promise<void> {
  let body: Buffer;
  try {
    body = Buffer.from(await source(), 'utf8');
  } catch (err) {
    onError?.(err);
    const missing = err instanceof ClientScriptMissingError;
    res.writeHead(missing ? 404 : 500, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    res.end(
      missing
        ? 'client script not built (run `npm run build` on the server)\n'
        : 'client script unavailable\n',
    );
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
