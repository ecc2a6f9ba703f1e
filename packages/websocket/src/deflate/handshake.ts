// permessage-deflate in the opening handshake (RFC 7692 5, 7.1; the parameter rules are negotiation.ts):
// the server picks among the client's offers, the client offers and checks the server's answer.
import { WebSocketError } from '../errors.js';
import { formatExtensions, parseExtensions } from '../extension-header.js';
import { PerMessageDeflate } from './codec.js';
import type { PerMessageDeflateOptions } from './params.js';

export type DeflateSetting = boolean | PerMessageDeflateOptions | undefined;

function options(setting: DeflateSetting): PerMessageDeflateOptions | null {
  if (setting === undefined || setting === false) return null;
  return setting === true ? {} : setting;
}

export type ServerNegotiation =
  | { ok: true; deflate: PerMessageDeflate | null; extensions: string }
  | { ok: false; message: string };

/**
 * Server side (RFC 7692 5, 7.1): accepts the first acceptable permessage-deflate offer. A malformed header
 * is a 400 when we would have to read it; offers we cannot accept are declined, not refused.
 */
export function negotiateServer(
  setting: DeflateSetting,
  header: string | undefined,
  maxPayload: number,
): ServerNegotiation {
  const opts = options(setting);
  if (opts === null || header === undefined) return { ok: true, deflate: null, extensions: '' };
  let offers: ReturnType<typeof parseExtensions>;
  try {
    offers = parseExtensions(header);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const pmd = offers.get(PerMessageDeflate.extensionName);
  if (pmd === undefined) return { ok: true, deflate: null, extensions: '' };
  const deflate = new PerMessageDeflate(opts, true, maxPayload);
  try {
    const params = deflate.accept(pmd);
    return { ok: true, deflate, extensions: formatExtensions({ [PerMessageDeflate.extensionName]: params }) };
  } catch {
    deflate.cleanup();
    return { ok: true, deflate: null, extensions: '' };
  }
}

/** Client side: the instance whose offer goes in the request, or null when deflate is off. */
export function clientOffer(
  setting: DeflateSetting,
  maxPayload: number,
): { deflate: PerMessageDeflate; header: string } | null {
  const opts = options(setting);
  if (opts === null) return null;
  const deflate = new PerMessageDeflate(opts, false, maxPayload);
  return { deflate, header: formatExtensions({ [PerMessageDeflate.extensionName]: deflate.offer() }) };
}

/**
 * Client side (RFC 6455 4.1 item 6, RFC 7692 7.1): the server may only answer extensions we offered, and its
 * permessage-deflate parameters must be acceptable. Throws WS_ERR_INVALID_EXTENSION otherwise.
 */
export function checkServerExtensions(header: string, offered: PerMessageDeflate | null): string {
  const answered = parseExtensions(header);
  for (const name of answered.keys()) {
    if (name !== PerMessageDeflate.extensionName || offered === null) {
      throw new WebSocketError(
        'WS_ERR_INVALID_EXTENSION',
        `server answered an extension not offered: ${name}`,
      );
    }
  }
  const params = answered.get(PerMessageDeflate.extensionName);
  if (params === undefined || offered === null) return '';
  return formatExtensions({ [PerMessageDeflate.extensionName]: offered.acceptResponse(params) });
}
