// A minimal per-client cookie jar for Node. Browsers keep cookies themselves (and forbid setting the Cookie
// header); Node's fetch keeps none, so without this a Node client would lose BAYEUX_BROWSER and load
// balancer stickiness cookies between requests and across the switch to websocket (reference §4 #6).
// Scope: name=value pairs for one server; attributes other than Max-Age/Expires deletion are ignored.

/** Most cookies kept; one more drops the oldest. Bounded so a hostile server cannot grow it forever. */
export const MAX_COOKIES = 32;

export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** Records `Set-Cookie` header values. */
  store(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [key = '', val = ''] = a.split('=').map((s) => s.trim());
        if (key.toLowerCase() === 'max-age') return Number(val) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(val) <= Date.now();
        return false;
      });
      this.#cookies.delete(name);
      if (expired) continue;
      this.#cookies.set(name, value);
      if (this.#cookies.size > MAX_COOKIES) this.#cookies.delete(this.#cookies.keys().next().value as string);
    }
  }

  /** The Cookie request header, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.#cookies.size === 0) return undefined;
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** True where the runtime manages cookies itself (a browser document). */
export function runtimeKeepsCookies(): boolean {
  return typeof document !== 'undefined';
}
