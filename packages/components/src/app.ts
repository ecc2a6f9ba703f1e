// App (Ratchet's App): one port, routes to components, each wrapped for you:
//   IoServer( IpBlackList( HttpServer( Router( [OriginCheck(] WsServer(component) ) ) ) )
// and mounted handlers beside them (`app.mount(bayeuxServer)`: raw WebSocket routes and /bayeux on the
// same port, one process).

import type { TlsOptions } from 'node:tls';
import { type Component, type HttpComponent, isHttpComponent } from './component.js';
import { type HttpMount, HttpServer, type HttpServerOptions } from './http-server.js';
import { IoServer, type IoServerOptions } from './io-server.js';
import { IpBlackList } from './ip-blacklist.js';
import { OriginCheck } from './origin-check.js';
import { type RouteOptions, Router } from './router.js';
import { WsServer, type WsServerOptions } from './ws-server.js';

export interface AppOptions {
  /** Host name routes answer for (Host header, port ignored). Default: any host. Also the default allowed origin. */
  httpHost?: string;
  /** Default 8000, the project's one default port (Ratchet's App: 8080); 0 for any free port (read `app.port`). */
  port?: number;
  /** Default '127.0.0.1', as Ratchet's App. */
  address?: string;
  /** Serve TLS (wss://, https://). */
  tls?: TlsOptions;
  /** Options of the HttpServer layer (maxHeaderSize, maxBodySize, headersTimeout). */
  http?: HttpServerOptions;
  /** Default options of the WsServer wrapping each plain component (keepAlive on by default). */
  websocket?: WsServerOptions;
  /** Options of the IoServer (maxConnections, closeTimeout, ...). */
  io?: Omit<IoServerOptions, 'tls'>;
}

/** Something mountable that can also be closed (a BayeuxServer). */
type Mount = HttpMount & { close?(): Promise<void> };

export interface AppRouteOptions extends RouteOptions {
  /** Options for the WsServer made for a plain component (merged over AppOptions.websocket). */
  websocket?: WsServerOptions;
  /** Let requests without an Origin header through the OriginCheck. Default false. */
  allowMissingOrigin?: boolean;
}

export class App {
  readonly router = new Router();
  readonly http: HttpServer;
  /** Block peers at run time: `app.blackList.blockAddress('10.0.0.0/8')`. */
  readonly blackList: IpBlackList;
  readonly io: IoServer;
  readonly #httpHost: string | undefined;
  readonly #websocket: WsServerOptions;
  readonly #wsServers: WsServer[] = [];
  readonly #mounts: Mount[] = [];

  constructor(options: AppOptions = {}) {
    this.#httpHost = options.httpHost;
    this.#websocket = options.websocket ?? {};
    this.http = new HttpServer(this.router, options.http);
    this.blackList = new IpBlackList(this.http);
    this.io = new IoServer(this.blackList, options.port ?? 8000, options.address ?? '127.0.0.1', {
      ...options.io,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
    });
  }

  /**
   * Routes `path` to `component`. A plain component is wrapped in a WsServer; an HTTP component
   * (WsServer, SessionProvider, your HTTP controller) is used as is. `allowedOrigins`: ['*'] for any,
   * a list of origins or hosts; default [httpHost] when httpHost is set, otherwise any.
   */
  route(
    path: string,
    component: Component,
    allowedOrigins?: readonly string[],
    options: AppRouteOptions = {},
  ): this {
    let decorated: HttpComponent;
    if (isHttpComponent(component)) decorated = component;
    else {
      const ws = new WsServer(component, { ...this.#websocket, ...options.websocket });
      this.#wsServers.push(ws);
      decorated = ws;
    }
    const origins = allowedOrigins ?? (this.#httpHost !== undefined ? [this.#httpHost] : ['*']);
    if (!origins.includes('*')) {
      decorated = new OriginCheck(decorated, origins, {
        allowMissingOrigin: options.allowMissingOrigin ?? false,
      });
    }
    const host = options.host ?? this.#httpHost;
    this.router.add(path, decorated, { ...options, ...(host !== undefined ? { host } : {}) });
    return this;
  }

  /** Serves a Bayeux server (or any HttpMount) on the same port; its mount path never reaches the routes. */
  mount(handler: Mount): this {
    this.http.mount(handler);
    this.#mounts.push(handler);
    return this;
  }

  /** Starts listening; resolves once the port is bound. */
  async run(): Promise<this> {
    await this.io.run();
    return this;
  }

  get port(): number {
    return this.io.port;
  }

  /** Closes mounted servers (their WebSockets get 1001), the routes' WebSockets (1001), then the port. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#mounts.map((m) => m.close?.()));
    await Promise.allSettled(this.#wsServers.map((ws) => ws.close()));
    await this.io.close();
  }
}
