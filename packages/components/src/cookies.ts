// Cookie header parsing (RFC 6265 5.4: `name=value` pairs separated by `; `) and Set-Cookie building.

/** Parses a Cookie header; the first occurrence of a name wins (RFC 6265 5.4 orders longer paths first). */
export function parseCookies(header: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (header === undefined) return out;
  const text = Array.isArray(header) ? header.join('; ') : header;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === '' || name in out) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

export interface CookieOptions {
  path?: string;
  domain?: string;
  /** Seconds; absent = a browser-session cookie. */
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SAFE_ATTR = /^[^\s;,\u0000-\u001f\u007f]*$/;

/** Builds a Set-Cookie value; refuses names and attributes that could split the header. */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!TOKEN.test(name)) throw new TypeError(`pushwire components: invalid cookie name '${name}'`);
  let out = `${name}=${encodeURIComponent(value)}`;
  if (options.path !== undefined) {
    if (!SAFE_ATTR.test(options.path)) throw new TypeError('pushwire components: invalid cookie path');
    out += `; Path=${options.path}`;
  }
  if (options.domain !== undefined) {
    if (!SAFE_ATTR.test(options.domain)) throw new TypeError('pushwire components: invalid cookie domain');
    out += `; Domain=${options.domain}`;
  }
  if (options.maxAge !== undefined) out += `; Max-Age=${Math.floor(options.maxAge)}`;
  if (options.httpOnly) out += '; HttpOnly';
  if (options.secure) out += '; Secure';
  if (options.sameSite !== undefined) out += `; SameSite=${options.sameSite}`;
  return out;
}
