// Router (Ratchet's Http\Router): path -> component per connection. 404 for an unknown path (or a Host
// the route does not serve), 405 with `Allow` for a method the route does not take (WebSocket routes
// take GET only: RFC 6455 4.1 "The method of the request MUST be GET"). Paths are exact, or have
// `:name` segments whose values land in `request.params` (Ratchet merged them into the query).

import type { Awaitable, HttpComponent } from './component.js';
import type { Connection } from './connection.js';
import { HttpLayer } from './http-layer.js';
import type { HttpRequest } from './http-request.js';
import { DEFAULTS, positive } from './options.js';

export interface RouteOptions {
  /** Methods the route takes. Default ['GET']. */
  methods?: readonly string[];
  /** Serve only requests whose Host (without port) is this name. Default: any host. */
  host?: string;
}

export interface Route extends RouteOptions {
  path: string;
  component: HttpComponent;
}

export interface RouterOptions {
  /** Most routes. Default 1,000. */
  maxRoutes?: number;
}

interface CompiledRoute {
  segments: readonly string[];
  component: HttpComponent;
  methods: readonly string[];
  host: string | undefined;
}

function split(path: string): string[] {
  return path.split('/').slice(1);
}

function hostName(header: string | undefined): string {
  if (header === undefined) return '';
  // [v6]:port, name:port, name
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1).toLowerCase();
  const colon = header.lastIndexOf(':');
  return (colon === -1 ? header : header.slice(0, colon)).toLowerCase();
}

export class Router extends HttpLayer {
  readonly #routes: CompiledRoute[] = [];
  readonly #maxRoutes: number;

  constructor(routes: Record<string, HttpComponent> | Iterable<Route> = [], options: RouterOptions = {}) {
    super();
    this.#maxRoutes = positive('maxRoutes', options.maxRoutes, DEFAULTS.maxRoutes);
    if (Symbol.iterator in routes) {
      for (const r of routes as Iterable<Route>) this.add(r.path, r.component, r);
    } else {
      for (const [path, component] of Object.entries(routes)) this.add(path, component);
    }
  }

  /** Adds a route. */
  add(path: string, component: HttpComponent, options: RouteOptions = {}): this {
    if (!path.startsWith('/'))
      throw new TypeError(`pushwire components: a route path starts with '/' ('${path}')`);
    if (this.#routes.length >= this.#maxRoutes) {
      throw new RangeError(`pushwire components: more than maxRoutes (${this.#maxRoutes}) routes`);
    }
    this.#routes.push({
      segments: split(path),
      component,
      methods: (options.methods ?? ['GET']).map((m) => m.toUpperCase()),
      host: options.host?.toLowerCase(),
    });
    return this;
  }

  get size(): number {
    return this.#routes.length;
  }

  #match(route: CompiledRoute, segments: readonly string[]): Record<string, string> | undefined {
    if (route.segments.length !== segments.length) return undefined;
    const params: Record<string, string> = {};
    for (let i = 0; i < segments.length; i++) {
      const want = route.segments[i] as string;
      const got = segments[i] as string;
      if (want.startsWith(':') && want.length > 1) {
        if (got === '') return undefined;
        try {
          params[want.slice(1)] = decodeURIComponent(got);
        } catch {
          return undefined;
        }
      } else if (want !== got) return undefined;
    }
    return params;
  }

  onOpen(conn: Connection, request: HttpRequest): Awaitable {
    const segments = split(request.path);
    const host = hostName(request.headers.host);
    const allowed = new Set<string>();
    for (const route of this.#routes) {
      if (route.host !== undefined && route.host !== host) continue;
      const params = this.#match(route, segments);
      if (params === undefined) continue;
      if (!route.methods.includes(request.method)) {
        for (const m of route.methods) allowed.add(m);
        continue;
      }
      request.params = params;
      return this.openInner(conn, request, route.component);
    }
    if (allowed.size > 0) {
      this.refuse(conn, request, 405, `method ${request.method} not allowed`, {
        Allow: [...allowed].join(', '),
      });
      return;
    }
    this.refuse(conn, request, 404, 'no route for this path');
  }
}
