// Sec-WebSocket-Extensions parsing and formatting, RFC 6455 9.1:
//
//   Sec-WebSocket-Extensions = extension-list
//   extension-list = 1#extension
//   extension      = extension-token *( ";" extension-param )
//   extension-param = token [ "=" (token | quoted-string) ]
//     ; When using the quoted-string syntax variant, the value after quoted-string unescaping MUST conform
//     ; to the 'token' ABNF.
//
// token, quoted-string, OWS and the list rule (#) come from RFC 7230 3.2.6 and 7. The parser is a small
// character state machine: no regular expression backtracking on attacker-controlled input.

import { WebSocketError } from './errors.js';
import { isTchar, isToken } from './http-token.js';

/** Parameters of one extension offer or response: `name=value`, or `name` alone (`true`). */
export type ExtensionParams = Record<string, string | true>;

// Extension offers that repeated a parameter name. The Record shape cannot hold two values for one name, and
// duplicates must not fail the whole header: RFC 7692 5 says the server declines that one offer (and a
// client fails the connection), while an unknown extension's duplicates concern nobody. So the parser keeps
// the first value and remembers the offer here; the extension asks with hasDuplicateParams().
const duplicated = new WeakSet<ExtensionParams>();

/** True when the parsed offer/response repeated at least one parameter name. */
export function hasDuplicateParams(params: ExtensionParams): boolean {
  return duplicated.has(params);
}

const SP = 0x20;
const HTAB = 0x09;
const COMMA = 0x2c;
const SEMI = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

function fail(header: string, i: number, what: string): never {
  const found = i < header.length ? `character ${JSON.stringify(header[i])}` : 'end of header';
  throw new WebSocketError(
    'WS_ERR_INVALID_EXTENSION',
    `Invalid Sec-WebSocket-Extensions header: expected ${what}, found ${found} at index ${i}`,
  );
}

/**
 * Parses a Sec-WebSocket-Extensions value into extension name -> list of param sets, in header order (one
 * entry per offer: a client may offer the same extension several times, RFC 7692 5). Empty list elements
 * are skipped (RFC 7230 7), but at least one extension is required. Quoted values are unescaped and must be
 * tokens (RFC 6455 9.1). Throws WebSocketError WS_ERR_INVALID_EXTENSION on any syntax error.
 */
export function parseExtensions(header: string): Map<string, ExtensionParams[]> {
  const result = new Map<string, ExtensionParams[]>();
  const n = header.length;
  let i = 0;

  const skipOws = (): void => {
    while (i < n && (header.charCodeAt(i) === SP || header.charCodeAt(i) === HTAB)) i++;
  };
  const readToken = (what: string): string => {
    const start = i;
    while (i < n && isTchar(header.charCodeAt(i))) i++;
    if (i === start) fail(header, i, what);
    return header.slice(start, i);
  };
  const readQuoted = (): string => {
    // RFC 7230 3.2.6: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE;
    // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ). Any unescaped value must still be a token, so
    // anything outside tchar fails here, after unescaping.
    const start = i;
    i++; // opening DQUOTE
    let value = '';
    for (;;) {
      if (i >= n) fail(header, i, 'closing quote');
      const c = header.charCodeAt(i);
      if (c === DQUOTE) break;
      if (c === BACKSLASH) {
        i++;
        if (i >= n) fail(header, i, 'escaped character');
      }
      if (!isTchar(header.charCodeAt(i))) fail(header, i, 'token character in quoted value');
      value += header[i];
      i++;
    }
    i++; // closing DQUOTE
    if (value.length === 0) fail(header, start, 'non-empty quoted value');
    return value;
  };

  let extensions = 0;
  for (;;) {
    skipOws();
    if (i >= n) break;
    if (header.charCodeAt(i) === COMMA) {
      i++; // RFC 7230 7: a recipient accepts and ignores empty list elements
      continue;
    }
    const name = readToken('extension token');
    // A null prototype: parameter names such as `__proto__` stay plain data.
    const params: ExtensionParams = Object.create(null);
    for (;;) {
      skipOws();
      if (i >= n || header.charCodeAt(i) === COMMA) break;
      if (header.charCodeAt(i) !== SEMI) fail(header, i, '";" or ","');
      i++;
      skipOws();
      const key = readToken('parameter name');
      skipOws();
      let value: string | true = true;
      if (i < n && header.charCodeAt(i) === EQUALS) {
        i++;
        skipOws();
        value = i < n && header.charCodeAt(i) === DQUOTE ? readQuoted() : readToken('parameter value');
      }
      if (Object.hasOwn(params, key)) duplicated.add(params);
      else params[key] = value;
    }
    const list = result.get(name);
    if (list) list.push(params);
    else result.set(name, [params]);
    extensions++;
    if (i < n) i++; // the comma
  }
  if (extensions === 0) fail(header, i, 'at least one extension');
  return result;
}

/**
 * Formats extension name -> params (or a list of param sets, one entry each) as a header value, e.g.
 * `permessage-deflate; client_max_window_bits, permessage-deflate`. Names and values must be tokens: a
 * value that needs quoting is not legal here (RFC 6455 9.1), and refusing it also keeps CR/LF out of
 * headers. Throws WebSocketError WS_ERR_INVALID_EXTENSION otherwise.
 */
export function formatExtensions(exts: Record<string, ExtensionParams | ExtensionParams[]>): string {
  const parts: string[] = [];
  for (const name of Object.keys(exts)) {
    if (!isToken(name)) invalid(`extension name ${JSON.stringify(name)}`);
    const entry = exts[name]!;
    const list = Array.isArray(entry) ? entry : [entry];
    for (const params of list) {
      let part = name;
      for (const key of Object.keys(params)) {
        if (!isToken(key)) invalid(`parameter name ${JSON.stringify(key)}`);
        const value = params[key];
        if (value === true) part += `; ${key}`;
        else if (typeof value === 'string' && isToken(value)) part += `; ${key}=${value}`;
        else invalid(`value ${JSON.stringify(value)} for parameter ${key}`);
      }
      parts.push(part);
    }
  }
  return parts.join(', ');
}

function invalid(what: string): never {
  throw new WebSocketError(
    'WS_ERR_INVALID_EXTENSION',
    `Cannot format Sec-WebSocket-Extensions: invalid ${what}`,
  );
}
