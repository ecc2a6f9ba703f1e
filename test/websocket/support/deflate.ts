// The suite's own permessage-deflate codec (RFC 7692), built on node:zlib but independent of any WebSocket
// implementation. Context takeover is modelled with a preset dictionary (the last 2^windowBits bytes of the
// previous messages), which is exactly what the peer's sliding window holds; the receiver inflates with
// 64-byte output chunks so that zlib enforces the window size (a reference further back than 2^windowBits
// fails with "invalid distance too far back", proving the peer ignored a negotiated max_window_bits).
import zlib from 'node:zlib';

/** RFC 7692 7.2.1: the sender removes this tail; 7.2.2: the receiver appends it before inflating. */
export const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

export class PmdSender {
  private history: Buffer = Buffer.alloc(0);
  private readonly windowBits: number;
  private readonly contextTakeover: boolean;

  constructor(windowBits: number, contextTakeover: boolean) {
    this.windowBits = windowBits;
    this.contextTakeover = contextTakeover;
  }

  /** Compress one message: a sync-flushed DEFLATE stream without its 00 00 ff ff tail. */
  compress(payload: Buffer): Buffer {
    const out = zlib.deflateRawSync(payload, {
      windowBits: this.windowBits,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      ...(this.contextTakeover && this.history.length > 0 ? { dictionary: this.history } : {}),
    });
    if (this.contextTakeover) this.remember(payload);
    if (!out.subarray(-4).equals(TAIL)) throw new Error('sync flush did not end with 00 00 ff ff');
    return out.subarray(0, -4);
  }

  private remember(payload: Buffer): void {
    this.history = Buffer.concat([this.history, payload]).subarray(-(1 << this.windowBits));
  }
}

export class PmdReceiver {
  private history: Buffer = Buffer.alloc(0);
  private readonly windowBits: number;
  private readonly contextTakeover: boolean;

  constructor(windowBits: number, contextTakeover: boolean) {
    this.windowBits = windowBits;
    this.contextTakeover = contextTakeover;
  }

  /** Inflate one message's payload (tail appended); throws if it needs more window or context than allowed. */
  decompress(data: Buffer): Buffer {
    const out = zlib.inflateRawSync(Buffer.concat([data, TAIL]), {
      windowBits: this.windowBits,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      chunkSize: 64,
      ...(this.contextTakeover && this.history.length > 0 ? { dictionary: this.history } : {}),
    });
    if (this.contextTakeover)
      this.history = Buffer.concat([this.history, out]).subarray(-(1 << this.windowBits));
    return out;
  }
}

export interface ExtensionOffer {
  name: string;
  params: Map<string, string | true>;
  /** Parameter names that appeared more than once (RFC 7692 7: such an offer/response is invalid). */
  duplicates: string[];
}

/** Parse a Sec-WebSocket-Extensions value (RFC 6455 9.1 grammar, quoted-string values unquoted). */
export function parseExtensions(header: string | undefined): ExtensionOffer[] {
  if (header === undefined || header.trim() === '') return [];
  const out: ExtensionOffer[] = [];
  // Split on commas outside quotes, then on semicolons outside quotes.
  const split = (s: string, sep: string): string[] => {
    const parts: string[] = [];
    let cur = '';
    let quoted = false;
    for (const ch of s) {
      if (ch === '"') quoted = !quoted;
      if (ch === sep && !quoted) {
        parts.push(cur);
        cur = '';
      } else cur += ch;
    }
    parts.push(cur);
    return parts.map((p) => p.trim());
  };
  for (const ext of split(header, ',')) {
    const [name = '', ...rest] = split(ext, ';');
    const params = new Map<string, string | true>();
    const duplicates: string[] = [];
    for (const p of rest) {
      const eq = p.indexOf('=');
      const key = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
      let value: string | true = eq < 0 ? true : p.slice(eq + 1).trim();
      if (typeof value === 'string' && value.startsWith('"') && value.endsWith('"'))
        value = value.slice(1, -1);
      if (params.has(key)) duplicates.push(key);
      params.set(key, value);
    }
    out.push({ name: name.toLowerCase(), params, duplicates });
  }
  return out;
}

/** What a client offers (undefined: parameter absent; `true` for max_window_bits: present without value). */
export interface DeflateOffer {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | true | undefined;
}

/** The agreed parameters, as each direction's codec needs them. */
export interface Negotiated {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

export function formatOffer(o: DeflateOffer): string {
  const parts = ['permessage-deflate'];
  if (o.serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (o.clientNoContextTakeover) parts.push('client_no_context_takeover');
  if (o.serverMaxWindowBits !== undefined) parts.push(`server_max_window_bits=${o.serverMaxWindowBits}`);
  if (o.clientMaxWindowBits === true) parts.push('client_max_window_bits');
  else if (o.clientMaxWindowBits !== undefined) parts.push(`client_max_window_bits=${o.clientMaxWindowBits}`);
  return parts.join('; ');
}

function windowBits(value: string | true, name: string): number {
  // RFC 7692 7.1.2: 1*DIGIT without leading zeros, 8..15 (8 is not usable with zlib and rarely sent).
  if (value === true || !/^(8|9|1[0-5])$/.test(value))
    throw new Error(`${name} has invalid value ${String(value)}`);
  return Number(value);
}

/**
 * Judge a server's negotiation response against the offer (RFC 7692 7.1): exactly one permessage-deflate
 * element, known parameters only, no duplicates, and the constraints that tie each parameter to the offer.
 */
export function checkServerResponse(offer: DeflateOffer, header: string | undefined): Negotiated {
  const exts = parseExtensions(header);
  if (exts.length !== 1 || exts[0]?.name !== 'permessage-deflate') {
    throw new Error(`expected exactly one accepted permessage-deflate, got ${JSON.stringify(header)}`);
  }
  const { params, duplicates } = exts[0];
  if (duplicates.length > 0) throw new Error(`duplicate parameters ${duplicates.join(',')}`);
  for (const key of params.keys()) {
    if (
      ![
        'server_no_context_takeover',
        'client_no_context_takeover',
        'server_max_window_bits',
        'client_max_window_bits',
      ].includes(key)
    ) {
      throw new Error(`unknown parameter ${key}`);
    }
  }
  for (const flag of ['server_no_context_takeover', 'client_no_context_takeover']) {
    if (params.has(flag) && params.get(flag) !== true) throw new Error(`${flag} must not have a value`);
  }
  // 7.1.1.1: accepting an offer with server_no_context_takeover means including it.
  if (offer.serverNoContextTakeover && !params.has('server_no_context_takeover')) {
    throw new Error('offer had server_no_context_takeover, response does not');
  }
  let serverBits = 15;
  const smwb = params.get('server_max_window_bits');
  if (smwb !== undefined) serverBits = windowBits(smwb, 'server_max_window_bits');
  // 7.1.2.1: the response's server_max_window_bits must not exceed the offered value.
  if (offer.serverMaxWindowBits !== undefined) {
    if (smwb === undefined) throw new Error('offer had server_max_window_bits, response does not');
    if (serverBits > offer.serverMaxWindowBits)
      throw new Error(`server_max_window_bits ${serverBits} > offered ${offer.serverMaxWindowBits}`);
  }
  let clientBits = 15;
  const cmwb = params.get('client_max_window_bits');
  if (cmwb !== undefined) {
    // 7.1.2.2: MUST NOT be in the response unless offered; its value must not exceed an offered value.
    if (offer.clientMaxWindowBits === undefined)
      throw new Error('client_max_window_bits in response but not offered');
    clientBits = windowBits(cmwb, 'client_max_window_bits');
    if (typeof offer.clientMaxWindowBits === 'number' && clientBits > offer.clientMaxWindowBits) {
      throw new Error(`client_max_window_bits ${clientBits} > offered ${offer.clientMaxWindowBits}`);
    }
  }
  return {
    serverNoContextTakeover: params.has('server_no_context_takeover'),
    clientNoContextTakeover: params.has('client_no_context_takeover'),
    serverMaxWindowBits: serverBits,
    clientMaxWindowBits: clientBits,
  };
}
