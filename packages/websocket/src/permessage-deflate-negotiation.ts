// RFC 7692 7.1: negotiation of the permessage-deflate parameters, as pure functions over parsed
// Sec-WebSocket-Extensions params (see extension-header.ts). No zlib here: the codec lives in
// permessage-deflate.ts and only consumes the `Negotiated` result.
//
// Window bits of 8: RFC 7692 allows 8..15, but zlib cannot produce a raw deflate stream with a 256-byte
// window (it silently uses 512). We still accept 8 wherever the RFC lets a peer ask for it: a compressor
// limited to 8 bits uses zlib's Z_RLE strategy, whose matches all have distance 1, so it never references
// more than one byte back and honours any window. Decompressors are always created with at least 9 bits,
// which inflates a stream made with 8 just as well (a larger window is never wrong for the inflater).

import { WebSocketError } from './errors.js';
import { type ExtensionParams, hasDuplicateParams } from './extension-header.js';

export interface PerMessageDeflateOptions {
  /**
   * Server: `true` always announces (and does) server_no_context_takeover; `false` declines offers that
   * request it; unset honours a client's request. Client: `true` requests it.
   */
  serverNoContextTakeover?: boolean;
  /**
   * Server: `true` requires the client to reset its context per message (the server then keeps no
   * inflate window between messages). Client: `true` announces that we reset ours.
   */
  clientNoContextTakeover?: boolean;
  /**
   * Server: a number (9..15) caps our compressor window; `false` declines offers that carry
   * server_max_window_bits. Client: a number is offered as server_max_window_bits.
   */
  serverMaxWindowBits?: number | boolean;
  /**
   * Server: a number (9..15) is answered as client_max_window_bits (offers without the parameter are then
   * declined, RFC 7692 7.1.2.2 forbids sending it unoffered). Client: a number is offered as the value of
   * client_max_window_bits (always offered), and caps our compressor window.
   */
  clientMaxWindowBits?: number | boolean;
  /** zlib compression level, -1 (zlib default, 6) .. 9. Default -1. */
  level?: number;
  /** zlib memLevel 1..9 (deflate hash/buffer memory). Default 4: see DEFAULT_MEM_LEVEL. */
  memLevel?: number;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** zlib jobs in flight across the process for this value (shared limiter). Default 10. */
  concurrencyLimit?: number;
  /**
   * Milliseconds after which an idle connection's zlib streams are released (0: keep them). Default 10000.
   * A released compressor is recreated with the last bytes sent as its dictionary, so context takeover
   * keeps working; an inflater is only released when the peer does not take over context.
   */
  idleTimeout?: number;
}

/** The effective per-direction settings once negotiated. */
export interface Negotiated {
  /** Our compressor window bits (8..15; 8 means Z_RLE, see above). */
  deflateBits: number;
  /** We reset our compressor after each message. */
  deflateNoContextTakeover: boolean;
  /** The peer's compressor window bits, which our inflater must cover. */
  inflateBits: number;
  /** The peer resets its compressor after each message, so our inflater may too. */
  inflateNoContextTakeover: boolean;
}

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

/** Checks the options once, at construction; programmer errors are RangeErrors. */
export function validateOptions(o: PerMessageDeflateOptions): void {
  const intIn = (name: string, v: unknown, min: number, max: number): void => {
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new RangeError(
        `perMessageDeflate.${name} must be an integer in ${min}..${max}, got ${String(v)}`,
      );
    }
  };
  if (typeof o.serverMaxWindowBits !== 'boolean') intIn('serverMaxWindowBits', o.serverMaxWindowBits, 9, 15);
  if (typeof o.clientMaxWindowBits !== 'boolean') intIn('clientMaxWindowBits', o.clientMaxWindowBits, 9, 15);
  intIn('level', o.level, -1, 9);
  intIn('memLevel', o.memLevel, 1, 9);
  intIn('threshold', o.threshold, 0, Number.MAX_SAFE_INTEGER);
  intIn('concurrencyLimit', o.concurrencyLimit, 1, 1 << 20);
  intIn('idleTimeout', o.idleTimeout, 0, 2 ** 31 - 1);
}

/** Client: the params to offer. client_max_window_bits is always offered so the server may pick a window. */
export function clientOffer(o: PerMessageDeflateOptions): ExtensionParams {
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
