// IoServer (Ratchet's Server\IoServer): a TCP or TLS listener that turns socket events into component
// events on the Connection it makes for each socket. `IoServer.factory(component, port, address, { tls })`
// serves wss:// directly (Ratchet #33 was closed wontfix; here it is built in).

import net, { type AddressInfo, type Socket } from 'node:net';
import tls, { type TlsOptions } from 'node:tls';
import type { Component } from './component.js';
import { Connection, kClaimed, normalizeAddress } from './connection.js';
import { closeChannel, openChannel, refusedChannel } from './diagnostics.js';
import { invoke, reportUnhandled } from './invoke.js';
import { DEFAULTS, positive } from './options.js';

export interface IoServerOptions {
  /** Serve TLS (wss://, https://) with these options (at least `key` and `cert`, or `pfx`). */
  tls?: TlsOptions;
  /** Most connections open at once; one more is closed at accept. Default 10,000. */
  maxConnections?: number;
  /** Ms close() waits for connections to end before destroying them. Default 5 s. */
  closeTimeout?: number;
  /** Ms from TCP accept to a finished TLS handshake. Default 10 s. */
  tlsHandshakeTimeout?: number;
  /** listen() backlog. */
  backlog?: number;
}

let nextId = 1;

export class IoServer {
  readonly component: Component;
  readonly #server: net.Server;
  readonly #port: number;
  readonly #address: string;
  readonly #secure: boolean;
  readonly #maxConnections: number;
  readonly #closeTimeout: number;
  readonly #backlog: number | undefined;
  readonly #connections = new Set<Connection>();
  /** Sockets accepted and counted, TLS handshake maybe still running. */
  #accepted = 0;
  #running: Promise<this> | undefined;
  #closing: Promise<void> | undefined;

  /** Ratchet's IoServer::factory: the component, the port, the address (default 0.0.0.0), options. */
  static factory(
    component: Component,
    port: number,
    address = '0.0.0.0',
    options: IoServerOptions = {},
  ): IoServer {
    return new IoServer(component, port, address, options);
  }

  constructor(component: Component, port: number, address = '0.0.0.0', options: IoServerOptions = {}) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new TypeError(`pushwire components: port must be 0..65535 (got ${String(port)})`);
    }
    this.component = component;
    this.#port = port;
    this.#address = address;
    this.#maxConnections = positive('maxConnections', options.maxConnections, DEFAULTS.maxConnections);
    this.#closeTimeout = positive('closeTimeout', options.closeTimeout, DEFAULTS.closeTimeout);
    this.#backlog = options.backlog;
    this.#secure = options.tls !== undefined;
    if (options.tls !== undefined) {
      const handshakeTimeout = positive(
        'tlsHandshakeTimeout',
        options.tlsHandshakeTimeout ?? options.tls.handshakeTimeout,
        DEFAULTS.tlsHandshakeTimeout,
      );
      const server = tls.createServer({ ...options.tls, handshakeTimeout });
      // 'connection' is the raw TCP socket, before the TLS handshake: admission happens there.
      server.on('connection', (socket: Socket) => this.#admit(socket));
      server.on('secureConnection', (socket: tls.TLSSocket) => this.#open(socket));
      // A failed or timed-out TLS handshake: the socket is destroyed by Node; nothing reached a component.
      server.on('tlsClientError', (_err, socket) => socket.destroy());
      this.#server = server;
    } else {
      const server = net.createServer();
      server.on('connection', (socket: Socket) => {
        if (this.#admit(socket)) this.#open(socket);
      });
      this.#server = server;
    }
  }

  /** Starts listening; resolves once the port is bound (read it from `port`). */
  run(): Promise<this> {
    this.#running ??= new Promise<this>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(this.#port, this.#address, this.#backlog, () => {
        this.#server.off('error', onError);
        resolve(this);
      });
    });
    return this.#running;
  }

  /** The bound port (after run(); useful with port 0). */
  get port(): number {
    const info = this.#server.address() as AddressInfo | null;
    return info?.port ?? this.#port;
  }

  address(): AddressInfo | null {
    return this.#server.address() as AddressInfo | null;
  }

  /** Open connections. */
  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  /** Raw TCP accept: counts the socket and asks the component; false = destroyed before any byte is read. */
  #admit(socket: Socket): boolean {
    const remoteAddress = normalizeAddress(socket.remoteAddress);
    socket.on('error', ignore);
    if (this.#closing !== undefined || this.#accepted >= this.#maxConnections) {
      this.#refuse(socket, remoteAddress, this.#closing !== undefined ? 'closing' : 'max-connections');
      return false;
    }
    const admit = this.component.admit;
    if (admit !== undefined && !admit.call(this.component, remoteAddress)) {
      this.#refuse(socket, remoteAddress, 'not-admitted');
      return false;
    }
    this.#accepted++;
    socket.once('close', () => this.#accepted--);
    return true;
  }

  #refuse(socket: Socket, remoteAddress: string, reason: string): void {
    if (refusedChannel.hasSubscribers) refusedChannel.publish({ remoteAddress, reason });
    socket.destroy();
  }

  #open(socket: Socket): void {
    if (socket.destroyed) return;
    const component = this.component;
    const conn = new Connection(nextId++, socket, this.#secure);
    this.#connections.add(conn);
    if (openChannel.hasSubscribers) openChannel.publish({ conn });
    const fail = (err: Error): void => this.#error(conn, err);
    socket.on('error', fail);
    socket.once('close', () => {
      this.#connections.delete(conn);
      if (closeChannel.hasSubscribers) closeChannel.publish({ conn });
      if (component.onClose)
        invoke(
          () => component.onClose?.(conn),
          (err) => reportUnhandled(conn, err),
        );
    });
    const opened = component.onOpen ? invoke(() => component.onOpen?.(conn), fail) : true;
    // A layer that parses the stream (HttpServer) claimed the socket in onOpen: it reads it, not us.
    if (conn[kClaimed] || component.onMessage === undefined) return;
    const onData = (data: Buffer): void => {
      invoke(() => component.onMessage?.(conn, data), fail);
    };
    if (opened === true || opened === false) {
      socket.on('data', onData);
      return;
    }
    // An async onOpen: bytes wait (TCP flow control) until it has settled, so onMessage never runs first.
    socket.pause();
    void opened.then(() => {
      socket.on('data', onData);
      socket.resume();
    });
  }

  #error(conn: Connection, err: Error): void {
    const component = this.component;
    if (component.onError === undefined) {
      reportUnhandled(conn, err);
      conn.terminate();
      return;
    }
    invoke(
      () => component.onError?.(conn, err),
      (again) => {
        reportUnhandled(conn, again);
        conn.terminate();
      },
    );
  }

  /**
   * Stops listening and closes every connection (`close(1001)` on WebSockets: going away, RFC 6455 7.4.1);
   * resolves once all are closed, destroying what is left after `closeTimeout`.
   */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const listening = new Promise<void>((done) => {
        if (!this.#server.listening) done();
        else this.#server.close(() => done());
      });
      const sockets = [...this.#connections].map(
        (conn) =>
          new Promise<void>((done) => {
            if (conn.socket.destroyed) return done();
            conn.socket.once('close', () => done());
            try {
              conn.close(1001, 'server shutting down');
            } catch {
              conn.terminate();
            }
          }),
      );
      const timer = setTimeout(() => {
        for (const conn of this.#connections) conn.terminate();
      }, this.#closeTimeout);
      timer.unref();
      void Promise.all([listening, ...sockets]).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.#closing;
  }
}

function ignore(): void {}
