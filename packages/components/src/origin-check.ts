// OriginCheck (Ratchet's Http\OriginCheck): 403 for a browser page from another origin, the defence
// against cross-site WebSocket hijacking (RFC 6455 10.2: "servers ... SHOULD verify the Origin").
// An entry is '*', a full origin ('https://app.example.com', scheme and port compared), or a host
// ('example.com', any scheme and port; 'example.com:8443' that port only).

import type { Awaitable, HttpComponent } from './component.js';
import type { Connection } from './connection.js';
import { HttpLayer } from './http-layer.js';
import type { HttpRequest } from './http-request.js';

export interface OriginCheckOptions {
  /**
   * Let WebSocket upgrades with no Origin header through (non-browser clients). Default false, as Ratchet:
   * browsers always send Origin on a WebSocket handshake. Plain HTTP requests without Origin (a page
   * navigation, a non-browser client) always pass: browsers send Origin on cross-origin requests.
   */
  allowMissingOrigin?: boolean;
}

export class OriginCheck extends HttpLayer {
  readonly component: HttpComponent;
  readonly allowedOrigins: string[];
  readonly #allowMissing: boolean;

  constructor(
    component: HttpComponent,
    allowedOrigins: readonly string[] = [],
    options: OriginCheckOptions = {},
  ) {
    super();
    this.component = component;
    this.allowedOrigins = [...allowedOrigins];
    this.#allowMissing = options.allowMissingOrigin ?? false;
  }

  /** True when `origin` (an Origin header value) is allowed; `upgrade`: for a WebSocket handshake. */
  allows(origin: string | undefined, upgrade = true): boolean {
    if (this.allowedOrigins.includes('*')) return true;
    if (origin === undefined || origin === '') return this.#allowMissing || !upgrade;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // 'null' (sandboxed pages, file://) and garbage
    }
    const host = url.host.toLowerCase();
    const hostname = url.hostname.toLowerCase();
    for (const entry of this.allowedOrigins) {
      const e = entry.toLowerCase();
      if (e.includes('://')) {
        if (e.replace(/\/+$/, '') === url.origin.toLowerCase()) return true;
      } else if (e === host || e === hostname) return true;
    }
    return false;
  }

  onOpen(conn: Connection, request: HttpRequest): Awaitable {
    const origin = (request.headers.origin ?? request.headers['sec-websocket-origin']) as string | undefined;
    if (!this.allows(origin, request.upgrade)) {
      this.refuse(conn, request, 403, 'origin not allowed');
      return;
    }
    return this.openInner(conn, request, this.component);
  }
}
