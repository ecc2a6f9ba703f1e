// permessage-deflate's settings (RFC 7692 7): the options a server or client is configured with, their
// defaults and validation, and the effective per-direction settings a negotiation produces (negotiation.ts)
// and the codec uses (codec.ts). Options and results are shared frozen copies, not one per connection.
//
//
// Window bits of 8: RFC 7692 allows 8..15, but zlib cannot produce a raw deflate stream with a 256-byte
// window (it silently uses 512). We still accept 8 wherever the RFC lets a peer ask for it: a compressor
// limited to 8 bits uses zlib's Z_RLE strategy, whose matches all have distance 1, so it never references
// more than one byte back and honours any window. Decompressors are always created with at least 9 bits,
// which inflates a stream made with 8 just as well (a larger window is never wrong for the inflater).

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

/**
 * Checks the options once, at construction. The house rule for configuration errors: a value of the wrong
 * type is a TypeError, a value of the right type out of range a RangeError.
 */
export function validateOptions(o: PerMessageDeflateOptions): void {
  const intIn = (name: string, v: unknown, min: number, max: number): void => {
    if (v === undefined) return;
    if (typeof v !== 'number') {
      throw new TypeError(`perMessageDeflate.${name} must be a number, got ${typeof v}`);
    }
    if (!Number.isInteger(v) || v < min || v > max) {
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

/**
 * memLevel sizes deflate's pending buffer, 4 * 2^(memLevel + 6) bytes: 64 KB for zlib's default 8, 4 KB
 * for 4, touched by large messages (Node's Chromium zlib keeps a 15-bit hash table whatever memLevel says).
 * Compression ratio on JSON differs by under 1%.
 */
export const DEFAULT_MEM_LEVEL = 4;
export const DEFAULT_THRESHOLD = 1024;
export const DEFAULT_CONCURRENCY_LIMIT = 10;
export const DEFAULT_IDLE_TIMEOUT = 10_000;
/** Bytes of history kept to prime a recreated compressor (a small copy instead of a whole deflate state). */
export const DICTIONARY_TAIL = 8192;

export const NOT_NEGOTIATED: Readonly<Negotiated> = Object.freeze({
  deflateBits: 15,
  deflateNoContextTakeover: false,
  inflateBits: 15,
  inflateNoContextTakeover: false,
});

// At most 2 * 2 * 8 * 8 distinct settings: connections share frozen copies instead of holding their own.
const interned = new Map<string, Readonly<Negotiated>>();
export function intern(n: Negotiated): Readonly<Negotiated> {
  const key = `${n.deflateBits},${n.deflateNoContextTakeover},${n.inflateBits},${n.inflateNoContextTakeover}`;
  let shared = interned.get(key);
  if (!shared) {
    shared = Object.freeze({ ...n });
    interned.set(key, shared);
  }
  return shared;
}

// Servers pass the same options object for every connection: validate and copy it once, share the copy.
const NO_OPTIONS: Readonly<PerMessageDeflateOptions> = Object.freeze({});
const checked = new WeakMap<PerMessageDeflateOptions, Readonly<PerMessageDeflateOptions>>();

/** A PerMessageDeflateOptions checked once: servers pass the same object for every connection. */
export function checkedOptions(
  options: PerMessageDeflateOptions | undefined,
): Readonly<PerMessageDeflateOptions> {
  if (options === undefined) return NO_OPTIONS;
  let copy = checked.get(options);
  if (!copy) {
    copy = Object.freeze({ ...options });
    validateOptions(copy);
    checked.set(options, copy);
  }
  return copy;
}
