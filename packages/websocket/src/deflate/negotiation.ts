// RFC 7692 7.1: negotiation of the permessage-deflate parameters, as pure functions over parsed
// Sec-WebSocket-Extensions params (see ../extension-header.ts). No zlib here: the codec (codec.ts) only
// consumes the `Negotiated` result; handshake.ts wires these into the opening handshake.

import { WebSocketError } from '../errors.js';
import { type ExtensionParams, hasDuplicateParams } from '../extension-header.js';
import type { Negotiated, PerMessageDeflateOptions } from './params.js';

interface Params {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | true | undefined;
}

const KNOWN = new Set([
  'server_no_context_takeover',
  'client_no_context_takeover',
  'server_max_window_bits',
  'client_max_window_bits',
]);

// RFC 7692 7.1.2.1 / 7.1.2.2: "a decimal integer value without leading zeroes between 8 to 15, inclusive".
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

function invalid(message: string): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_EXTENSION', `permessage-deflate: ${message}`);
}

/** Validates one offer or response (RFC 7692 5: unknown names, duplicates and bad values are errors). */
function readParams(params: ExtensionParams): Params {
  if (hasDuplicateParams(params)) throw invalid('a parameter is repeated');
  const out: Params = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (!KNOWN.has(key)) throw invalid(`unknown parameter ${key}`);
    if (key === 'server_no_context_takeover' || key === 'client_no_context_takeover') {
      // RFC 7692 7.1.1.1 / 7.1.1.2: "This parameter has no value."
      if (value !== true) throw invalid(`${key} takes no value`);
      if (key === 'server_no_context_takeover') out.serverNoContextTakeover = true;
      else out.clientNoContextTakeover = true;
    } else if (key === 'server_max_window_bits') {
      // RFC 7692 7.1.2.1: this parameter always has a value.
      if (typeof value !== 'string' || !WINDOW_BITS.test(value)) {
        throw invalid(`invalid server_max_window_bits ${JSON.stringify(value)}`);
      }
      out.serverMaxWindowBits = Number(value);
    } else {
      if (value !== true && !WINDOW_BITS.test(value!)) {
        throw invalid(`invalid client_max_window_bits ${JSON.stringify(value)}`);
      }
      out.clientMaxWindowBits = value === true ? true : Number(value);
    }
  }
  return out;
}

/** Client: the params to offer. client_max_window_bits is always offered so the server may pick a window. */
export function offerParams(o: PerMessageDeflateOptions): ExtensionParams {
  const offer: ExtensionParams = {};
  if (o.serverNoContextTakeover === true) offer.server_no_context_takeover = true;
  if (o.clientNoContextTakeover === true) offer.client_no_context_takeover = true;
  if (typeof o.serverMaxWindowBits === 'number') offer.server_max_window_bits = String(o.serverMaxWindowBits);
  offer.client_max_window_bits =
    typeof o.clientMaxWindowBits === 'number' ? String(o.clientMaxWindowBits) : true;
  return offer;
}

/**
 * Server: answers the first acceptable offer (RFC 7692 5: offers are in the client's preference order).
 * Throws WS_ERR_INVALID_EXTENSION when none is acceptable: the caller then declines the extension (the
 * handshake goes on without it).
 */
export function serverAccept(
  o: PerMessageDeflateOptions,
  offers: ExtensionParams[],
): { response: ExtensionParams; negotiated: Negotiated } {
  let reason = 'no offer';
  for (const offer of offers) {
    let p: Params;
    try {
      p = readParams(offer);
    } catch (err) {
      reason = (err as Error).message; // RFC 7692 5: decline this offer, try the next
      continue;
    }
    if (p.serverNoContextTakeover && o.serverNoContextTakeover === false) {
      reason = 'server_no_context_takeover requested but disabled';
      continue;
    }
    if (p.serverMaxWindowBits !== undefined && o.serverMaxWindowBits === false) {
      reason = 'server_max_window_bits requested but disabled';
      continue;
    }
    if (typeof o.clientMaxWindowBits === 'number' && p.clientMaxWindowBits === undefined) {
      // RFC 7692 7.1.2.2: the server must not send client_max_window_bits unless offered, and we were
      // configured to require a limit.
      reason = 'client_max_window_bits required but not offered';
      continue;
    }
    const response: ExtensionParams = {};
    // RFC 7692 7.1.1.1: accepting an offer with server_no_context_takeover means answering it.
    const serverNoTakeover = o.serverNoContextTakeover === true || p.serverNoContextTakeover;
    if (serverNoTakeover) response.server_no_context_takeover = true;
    // RFC 7692 7.1.1.2: the server may require it; echoing a client's own announcement is harmless.
    const clientNoTakeover = o.clientNoContextTakeover === true || p.clientNoContextTakeover;
    if (clientNoTakeover) response.client_no_context_takeover = true;
    // RFC 7692 7.1.2.1: answer with the same or a smaller value than offered; we may also add it unasked.
    let serverBits = typeof o.serverMaxWindowBits === 'number' ? o.serverMaxWindowBits : undefined;
    if (p.serverMaxWindowBits !== undefined) serverBits = Math.min(serverBits ?? 15, p.serverMaxWindowBits);
    if (serverBits !== undefined) response.server_max_window_bits = String(serverBits);
    // RFC 7692 7.1.2.2: only when offered; an offered value is a hint we use (equal or smaller) to keep our
    // inflate window small.
    let clientBits: number | undefined;
    if (p.clientMaxWindowBits !== undefined) {
      clientBits = typeof o.clientMaxWindowBits === 'number' ? o.clientMaxWindowBits : undefined;
      if (typeof p.clientMaxWindowBits === 'number') {
        clientBits = Math.min(clientBits ?? 15, p.clientMaxWindowBits);
      }
      if (clientBits !== undefined) response.client_max_window_bits = String(clientBits);
    }
    return {
      response,
      negotiated: {
        deflateBits: serverBits ?? 15,
        deflateNoContextTakeover: serverNoTakeover,
        inflateBits: clientBits ?? 15,
        inflateNoContextTakeover: clientNoTakeover,
      },
    };
  }
  throw invalid(`no acceptable offer (${reason})`);
}

/**
 * Client: validates the server's answer (RFC 7692 7.1); any violation fails the connection, so this
 * throws WS_ERR_INVALID_EXTENSION.
 */
export function clientAccept(o: PerMessageDeflateOptions, responses: ExtensionParams[]): Negotiated {
  // RFC 7692 5.1: the server accepts at most one offer, so one element in the response.
  if (responses.length !== 1) throw invalid(`expected one response, got ${responses.length}`);
  const p = readParams(responses[0]!);
  if (p.serverMaxWindowBits !== undefined && typeof o.serverMaxWindowBits === 'number') {
    // RFC 7692 7.1.2.1: the server answers with the same or a smaller value than offered.
    if (p.serverMaxWindowBits > o.serverMaxWindowBits) {
      throw invalid(
        `server_max_window_bits ${p.serverMaxWindowBits} exceeds the offered ${o.serverMaxWindowBits}`,
      );
    }
  }
  // RFC 7692 7.1.2.2: we always offer client_max_window_bits, so the server may answer it, with a value
  // no greater than the one we offered.
  if (p.clientMaxWindowBits === true) throw invalid('client_max_window_bits in a response needs a value');
  if (
    p.clientMaxWindowBits !== undefined &&
    typeof o.clientMaxWindowBits === 'number' &&
    p.clientMaxWindowBits > o.clientMaxWindowBits
  ) {
    throw invalid(
      `client_max_window_bits ${p.clientMaxWindowBits} exceeds the offered ${o.clientMaxWindowBits}`,
    );
  }
  let deflateBits = p.clientMaxWindowBits ?? 15;
  if (typeof o.clientMaxWindowBits === 'number') deflateBits = Math.min(deflateBits, o.clientMaxWindowBits);
  return {
    deflateBits,
    // We may always reset our own context; the server may require it (7.1.1.2).
    deflateNoContextTakeover: p.clientNoContextTakeover || o.clientNoContextTakeover === true,
    inflateBits: p.serverMaxWindowBits ?? 15,
    inflateNoContextTakeover: p.serverNoContextTakeover,
  };
}
