// The RFC 7230 3.2.6 token, defined once: subprotocol names (RFC 6455 4.1 item 10, 4.2.1 item 8) and
// extension names and parameters (RFC 6455 9.1) are tokens.

// RFC 7230 3.2.6: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" /
// "~" / DIGIT / ALPHA. A lookup table indexed by char code, 1 for tchar.
const TCHAR = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;

export function isTchar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** True when `s` is a non-empty RFC 7230 token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return true;
}
