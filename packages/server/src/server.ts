// createBayeuxServer: the public face. One endpoint (the mount) serves long-polling, callback-polling and
// WebSocket upgrades; everything else on the HTTP server is left alone.

import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { debuglog } from 'node:util';
import { Admission } from './admission.js';
import { type Authorizer, AuthorizerRegistry } from './authorizers.js';
import { ChannelFeatures } from './channel-features.js';
import { isClientScriptRequest, serveClientScript } from './client-script.js';
import type { Core } from './core.js';
import { checkEngineInterval, createDefaultEngine } from './default-engine.js';
import type { DestroyReason, DropInfo, Engine, PresenceMember } from './engine/engine.js';
import { BayeuxEmitter, type BayeuxEventName, type BayeuxListener } from './events.js';
import { type BayeuxExtension, ExtensionPipeline } from './extensions.js';
import { HeldConnects } from './held-connects.js';
import { type HistoryOptions, type HistoryResult, readChannelHistory } from './history.js';
import { connectOnly } from './hold.js';
import { LocalSession, type LocalSessionOptions } from './local-session.js';
import type { BayeuxServerOptions, ResolvedOptions } from './options.js';
import { resolveOptions } from './options.js';
import { announcePresence, PRESENCE_SERVICE, presenceOf, presenceService } from './presence.js';
import { publishFromServer } from './publish.js';
import { hostRefusal, remoteAddressOf } from './request-info.js';
import { type ServiceHandler, ServiceRegistry } from './services.js';
import { type FlushSource, SocketPush } from './socket-push.js';
import { type ServerStats, StatsCounter } from './stats.js';
import { originAllowed } from './transports/cors.js';
import { mountQuery, RETRY_AFTER_SECONDS, serveHttp } from './transports/http.js';
import { HttpInFlight } from './transports/http-exchange.js';
import { WebSocketTransport } from './transports/websocket.js';

const debug = debuglog('pushwire:bayeux');

export class BayeuxServer {
  readonly options: ResolvedOptions;
  readonly engine: Engine;
  readonly #core: Core;
  readonly #events: BayeuxEmitter;
  readonly #websocket: WebSocketTransport | undefined;
  readonly #attached = new Map<
    HttpServer,
    {
      request: (req: IncomingMessage, res: ServerResponse) => void;
      upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
      previousRequest: ((req: IncomingMessage, res: ServerResponse) => void)[];
      previousUpgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void)[];
    }
  >();
  readonly #pending = new Set<Promise<unknown>>();
  /** HTTP exchanges not yet answered: counted, not tracked as promises (http-exchange.ts). */
  readonly #http = new HttpInFlight();
  readonly #keepAlive: NodeJS.Timeout;
  readonly #flushSource: FlushSource;
  readonly #localSessions = new Set<LocalSession>();
  #closed: Promise<void> | undefined;

  constructor(options: BayeuxServerOptions = {}) {
    this.options = resolveOptions(options);
    const ownsEngine = options.engine === undefined;
    this.engine = options.engine ?? createDefaultEngine(this.options);
    checkEngineInterval(this.engine, this.options.maxInterval);
    this.#events = new BayeuxEmitter((err) => this.#reportError(err));
    const stats = new StatsCounter();
    const core: Core = {
      options: this.options,
      engine: this.engine,
      extensions: new ExtensionPipeline(),
      services: new ServiceRegistry(),
      authorizers: new AuthorizerRegistry(),
      features: new ChannelFeatures(this.options.channels, this.options.maxQueue),
      events: this.#events,
      held: new HeldConnects(),
      sockets: new SocketPush(this.options.maxSocketBuffer, this.options.maxReplyBytes),
      admission: new Admission(this.options, stats),
      stats,
      closing: false,
      ownsEngine,
      reportError: (err) => this.#reportError(err),
    };
    this.#core = core;
    const engine = this.engine;
    // One source for every client's socket pushes (no closure per wake); the sync take when the engine has one.
    const queuedSync = engine.queuedSync?.bind(engine);
    this.#flushSource = {
      take:
        engine.takeQueueSync?.bind(engine) ??
        ((clientId, maxBytes) => engine.takeQueueWithMore(clientId, maxBytes)),
      // A synchronous take needs no batching; an asynchronous engine's takes go many at once (issue 12).
      takeMany: engine.takeQueueSync === undefined ? engine.takeQueuesWithMore?.bind(engine) : undefined,
      hasMore: queuedSync === undefined ? undefined : (clientId) => queuedSync(clientId) > 0,
      putBack: (clientId, messages) => {
        engine.requeue(clientId, messages).catch((err: unknown) => this.#reportError(err));
      },
      onError: (err) => this.#reportError(err),
    };
    this.engine.setSink({
      wake: (clientId) => this.#wake(clientId),
      destroyed: (clientId, reason, lost) => this.#destroyed(clientId, reason, lost),
      dropped: (clientId, info) => this.#events.emit('drop', { clientId, ...info, limit: info.limit }),
      // Bayeux §4.2: a client waiting in a held connect is alive. An open WebSocket alone is not: a client
      // that stops sending /meta/connect must expire after maxInterval, whatever its transport.
      isHeld: (clientId) => core.held.isHeld(clientId),
      left: (channel, member, count) => this.#left(channel, member, count),
    });
    if (core.features.anyPresence) core.services.add(PRESENCE_SERVICE, presenceService(core));
    this.#websocket = this.options.transports.includes('websocket')
      ? new WebSocketTransport(core)
      : undefined;
    // Bayeux §4.2: while a connect is held the client is alive. One shared timer pings held clients so the
    // engine's expiry sweeper (maxInterval after the last ping) never takes a client that is waiting.
    const period = Math.max(250, Math.floor(this.options.maxInterval / 2));
    this.#keepAlive = setInterval(() => this.#pingHeld(), period);
    this.#keepAlive.unref();
  }

  /** Internal failures are never thrown across the wire; they are told here (event, diagnostics, debuglog). */
  #reportError(err: unknown): void {
    debug('error: %s', err instanceof Error ? (err.stack ?? err.message) : String(err));
    this.#events.emit('error', { error: err });
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#pending.add(p);
    p.then(
      () => this.#pending.delete(p),
      () => this.#pending.delete(p),
    );
    return p;
  }

  #pingHeld(): void {
    for (const clientId of this.#core.held.clientIds()) {
      this.engine.ping(clientId).catch((err: unknown) => this.#reportError(err));
    }
  }

  /** Engine sink: messages were queued for a client. Push over its socket, or release its held connect. */
  #wake(clientId: string): void {
    const { held, sockets } = this.#core;
    // connectOnly (hold.ts) loops over the hooks: no callback per wake (one per subscriber of a publish).
    if (!connectOnly(this.#core, clientId) && sockets.socketOf(clientId) !== undefined) {
      sockets.scheduleFlush(clientId, this.#flushSource);
      return;
    }
    held.wake(clientId, this.options.deliveryWindow);
  }

  #destroyed(clientId: string, reason: DestroyReason, lost: DropInfo | undefined): void {
    const core = this.#core;
    core.admission.sessionEnded(clientId);
    core.held.release(clientId, 'destroyed', reason);
    core.sockets.forgetClient(clientId);
    for (const hook of core.extensions.deliveryHooks()) hook.forget(clientId);
    this.#events.emit(
      'disconnect',
      lost === undefined
        ? { clientId, reason }
        : { clientId, reason, lost: { dropped: lost.dropped, bytes: lost.bytes } },
    );
  }

  /** Engine sink: a destroyed client (disconnect, expiry, slow) left a presence set. */
  #left(channel: string, member: PresenceMember, count: number): void {
    if (this.#core.closing) return;
    this.#track(announcePresence(this.#core, channel, 'leave', member, count)).catch((err: unknown) =>
      this.#reportError(err),
    );
  }

  /** The mount path the server answers on. */
  get mount(): string {
    return this.options.mount;
  }

  /**
   * True when `req` is for this server (the mount, or the client script beside it), without touching it:
   * lets a router put the Bayeux server beside other handlers on one port (components' `app.mount()`).
   */
  matches(req: IncomingMessage): boolean {
    const { clientScript } = this.options;
    if (clientScript !== false && isClientScriptRequest(req, this.options.mount)) return true;
    return mountQuery(req.url, this.options.mount) !== undefined;
  }

  /**
   * Serves `req` when it is for the mount (Express/Fastify/Koa style) and resolves true once answered;
   * resolves false, without touching `res`, when the path is not the mount.
   */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const { clientScript } = this.options;
    if (clientScript !== false && isClientScriptRequest(req, this.options.mount)) {
      await this.#track(serveClientScript(req, res, clientScript, (err) => this.#reportError(err)));
      return true;
    }
    const query = mountQuery(req.url, this.options.mount);
    if (query === undefined) return false;
    const http = this.#http;
    http.begin();
    return new Promise((resolve) => {
      serveHttp(this.#core, req, res, query, {
        exchangeDone() {
          http.exchangeDone();
          resolve(true);
        },
      });
    });
  }

  /**
   * Takes a WebSocket upgrade for the mount; returns false (socket untouched) when the path is not the
   * mount. An upgrade to the mount with WebSocket disabled is refused with 400.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (mountQuery(req.url, this.options.mount) === undefined) return false;
    if (this.#websocket === undefined || this.#core.closing) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    const address = remoteAddressOf(req, this.options.trustProxy);
    const badHost = hostRefusal(req, this.options.allowedHosts);
    if (badHost !== undefined) {
      this.#core.stats.count('host', address);
      refuseUpgrade(socket, 403, 'Forbidden', badHost);
      return true;
    }
    // Browsers open cross-site WebSockets freely (no CORS): apply the same origin rule as long-polling.
    if (!originAllowed(req, this.options.cors)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    if (!this.#core.admission.openConnection(address)) {
      refuseUpgrade(socket, 503, 'Service Unavailable', 'too many connections', RETRY_AFTER_SECONDS);
      return true;
    }
    this.#websocket.handleUpgrade(req, socket, head, address);
    return true;
  }

  /**
   * Serves the mount on `server` (HTTP requests and upgrades). Other paths go to the listeners that were
   * there before (Faye's NodeAdapter does the same); with none, they get 404 / a closed socket.
   */
  attach(server: HttpServer): void {
    if (this.#attached.has(server)) return;
    const previousRequest = server.listeners('request') as ((
      req: IncomingMessage,
      res: ServerResponse,
    ) => void)[];
    const previousUpgrade = server.listeners('upgrade') as ((
      req: IncomingMessage,
      s: Duplex,
      h: Buffer,
    ) => void)[];
    server.removeAllListeners('request');
    server.removeAllListeners('upgrade');
    const request = (req: IncomingMessage, res: ServerResponse): void => {
      const query = mountQuery(req.url, this.options.mount);
      if (query !== undefined) {
        const { clientScript } = this.options;
        if (clientScript !== false && isClientScriptRequest(req, this.options.mount)) {
          this.handle(req, res).catch((err: unknown) => this.#reportError(err));
          return;
        }
        // Straight to the exchange, without handle()'s promise: a held long-poll keeps none (issue 13).
        this.#http.begin();
        serveHttp(this.#core, req, res, query, this.#http);
        return;
      }
      if (previousRequest.length === 0) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('not found\n');
        return;
      }
      for (const l of previousRequest) l.call(server, req, res);
    };
    const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (this.handleUpgrade(req, socket, head)) return;
      if (previousUpgrade.length === 0) {
        socket.destroy();
        return;
      }
      for (const l of previousUpgrade) l.call(server, req, socket, head);
    };
    server.on('request', request);
    server.on('upgrade', upgrade);
    this.#attached.set(server, { request, upgrade, previousRequest, previousUpgrade });
  }

  /**
   * An in-process session on the same engine as remote clients (local-session.ts): subscribe with
   * wildcards, publish, close. Its deliveries come through the engine like a websocket client's. With
   * `info` it is shown in presence (TypeError past maxPresenceInfoBytes).
   */
  localSession(options: LocalSessionOptions = {}): LocalSession {
    if (this.#core.closing) throw new Error('pushwire: the server is closing');
    const session = new LocalSession(
      this.#core,
      this.#core.sockets,
      (s) => this.#localSessions.delete(s),
      options,
    );
    this.#localSessions.add(session);
    return session;
  }

  /** Publishes from server code to every subscriber; resolves with the number of clients reached. */
  publish(channel: string, data: unknown): Promise<number> {
    return publishFromServer(this.#core, channel, data);
  }

  /**
   * A channel's history (its pattern must have `history`): the newest `limit` messages, or what followed
   * `since` (a message's `ext.history`), oldest first, with the latest position.
   */
  history(channel: string, options: HistoryOptions = {}): Promise<HistoryResult> {
    return readChannelHistory(this.#core, channel, options);
  }

  /**
   * Who is subscribed to `channel` (its pattern must have `presence`): the count, and the members (real
   * clientId, public id, info) when there are at most `maxMembers` (default: the channel's).
   */
  presence(
    channel: string,
    options: { maxMembers?: number } = {},
  ): Promise<{
    channel: string;
    count: number;
    members?: Array<{ clientId: string; id: string; info: unknown }>;
  }> {
    return presenceOf(this.#core, channel, options.maxMembers);
  }

  /** Answers publishes to a `/service/` channel: the handler's result goes back with the same id. */
  addService(channel: string, handler: ServiceHandler): this {
    this.#core.services.add(channel, handler);
    return this;
  }

  removeService(channel: string): boolean {
    return this.#core.services.remove(channel);
  }

  /**
   * Adds an authorizer on a channel or wildcard pattern: it answers 'grant' | 'deny' | 'ignore' for
   * subscribes and publishes from clients (CometD's algorithm; see authorizers.ts). Once any authorizer
   * applies to a channel, something must grant.
   */
  addAuthorizer(pattern: string, authorizer: Authorizer): this {
    this.#core.authorizers.add(pattern, authorizer);
    return this;
  }

  removeAuthorizer(pattern: string, authorizer: Authorizer): boolean {
    return this.#core.authorizers.remove(pattern, authorizer);
  }

  /** Adds an extension: `incoming` hooks run in registration order, `outgoing` in reverse. */
  addExtension(extension: BayeuxExtension): this {
    extension.attach?.({ engine: this.engine });
    this.#core.extensions.add(extension);
    return this;
  }

  removeExtension(extension: BayeuxExtension): this {
    this.#core.extensions.remove(extension);
    return this;
  }

  on<K extends BayeuxEventName>(name: K, listener: BayeuxListener<K>): this {
    this.#events.on(name, listener);
    return this;
  }

  off<K extends BayeuxEventName>(name: K, listener: BayeuxListener<K>): this {
    this.#events.off(name, listener);
    return this;
  }

  /**
   * Counts of what was refused or lost since start (aborted bodies, refused hosts, handshakes past a limit,
   * ...), a copy. The same events go to diagnostics channel `pushwire:bayeux:refused`. Never 'error' events.
   */
  get stats(): ServerStats {
    return this.#core.stats.snapshot();
  }

  /** Connections to the mount right now: WebSockets plus HTTP requests in flight (maxConnections). */
  get connections(): number {
    return this.#core.admission.connections;
  }

  /** Number of connects held right now (metrics, tests). */
  get heldConnects(): number {
    return this.#core.held.count;
  }

  /**
   * Stops serving: new handshakes are refused, held connects are answered (reconnect 'handshake' when the
   * sessions die with this server's own engine, 'retry' when a shared engine keeps them), WebSockets are
   * closed with 1001 (going away), in-flight requests are awaited, and an engine we created is closed.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    const core = this.#core;
    core.closing = true;
    clearInterval(this.#keepAlive);
    core.held.releaseAll('closing');
    // Give the HTTP server back its own listeners: the rest of the app keeps working.
    for (const [server, l] of this.#attached) {
      server.off('request', l.request);
      server.off('upgrade', l.upgrade);
      for (const fn of l.previousRequest) server.on('request', fn);
      for (const fn of l.previousUpgrade) server.on('upgrade', fn);
    }
    this.#attached.clear();
    await Promise.allSettled([...this.#pending]);
    await this.#http.idle();
    await Promise.allSettled([...this.#localSessions].map((s) => s.close()));
    if (this.#websocket) await this.#websocket.close();
    if (core.ownsEngine) await this.engine.close();
  }
}

/** Answers an upgrade with a short HTTP refusal and closes (the socket never became a WebSocket). */
function refuseUpgrade(
  socket: Duplex,
  status: number,
  text: string,
  reason: string,
  retryAfter?: number,
): void {
  const body = `${reason}\n`;
  const retry = retryAfter === undefined ? '' : `Retry-After: ${retryAfter}\r\n`;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n${retry}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Creates a Bayeux 1.0 server (see BayeuxServerOptions for every option and its default). */
export function createBayeuxServer(options: BayeuxServerOptions = {}): BayeuxServer {
  return new BayeuxServer(options);
}
