// BayeuxBridge: raw WebSocket components on the same hub as Bayeux clients. It holds ONE in-process
// session of the Bayeux server (bayeux.localSession(): an engine client bound like a socket, so this
// works across nodes with a shared engine) and fans each channel out to the connections that asked for
// it. A message is formatted once and the same text is sent to every forwarded connection (encode once).

import type {
  LocalMessageHandler,
  LocalSession,
  LocalSubscribeOptions,
  LocalSubscribeResult,
} from '@pushwire/server';
import type { Connection, SendData } from './connection.js';
import { broadcast } from './ws-server.js';

/** What the bridge needs of a Bayeux server: `BayeuxServer` has it. */
export interface LocalSessionSource {
  localSession(): LocalSession;
}

/** Turns a Bayeux message into what a raw WebSocket connection receives. */
export type BridgeFormat = (data: unknown, channel: string) => SendData;

export interface BayeuxBridgeOptions {
  /** Default: the JSON text `{"channel": ..., "data": ...}`. */
  format?: BridgeFormat;
}

const defaultFormat: BridgeFormat = (data, channel) => JSON.stringify({ channel, data });

export class BayeuxBridge {
  readonly session: LocalSession;
  readonly #format: BridgeFormat;
  /** pattern -> connections it is forwarded to. */
  readonly #forwards = new Map<string, Set<Connection>>();
  readonly #handlers = new Map<string, LocalMessageHandler>();
  /** The engine subscription of each forwarded pattern (a second forward waits for the first). */
  readonly #subscribed = new Map<string, Promise<void>>();

  constructor(bayeux: LocalSessionSource, options: BayeuxBridgeOptions = {}) {
    this.session = bayeux.localSession();
    this.#format = options.format ?? defaultFormat;
  }

  /** Publishes on a Bayeux channel: every Bayeux client and bridge subscribed to it gets the message. */
  publish(channel: string, data: unknown): Promise<number> {
    return this.session.publish(channel, data);
  }

  /** Calls `handler` for every message on channels matching `pattern` (wildcards allowed; history: LocalSession). */
  subscribe(
    pattern: string,
    handler: LocalMessageHandler,
    options?: LocalSubscribeOptions,
  ): Promise<LocalSubscribeResult> {
    return this.session.subscribe(pattern, handler, options);
  }

  unsubscribe(pattern: string, handler?: LocalMessageHandler): Promise<void> {
    return this.session.unsubscribe(pattern, handler);
  }

  /**
   * Sends every message on channels matching `pattern` to `conn` (formatted once per message, whatever
   * the number of connections). Resolves once the subscription is in the engine.
   */
  async forward(conn: Connection, pattern: string): Promise<void> {
    const set = this.#forwards.get(pattern);
    if (set !== undefined) {
      set.add(conn);
      await this.#subscribed.get(pattern);
      return;
    }
    const targets = new Set([conn]);
    this.#forwards.set(pattern, targets);
    const handler: LocalMessageHandler = (data, channel) => {
      for (const c of targets) if (!c.open) targets.delete(c);
      if (targets.size === 0) return;
      // Formatted once, framed once per WsServer: the same bytes to every connection.
      broadcast(targets, this.#format(data, channel));
    };
    this.#handlers.set(pattern, handler);
    const subscribed = this.session.subscribe(pattern, handler).then(() => undefined);
    this.#subscribed.set(pattern, subscribed);
    try {
      await subscribed;
    } catch (err) {
      if (this.#forwards.get(pattern) === targets) {
        this.#forwards.delete(pattern);
        this.#handlers.delete(pattern);
        this.#subscribed.delete(pattern);
      }
      throw err;
    }
  }

  /** Stops forwarding `pattern` (or every pattern) to `conn`; call it from onClose. */
  async stopForwarding(conn: Connection, pattern?: string): Promise<void> {
    const patterns = pattern === undefined ? [...this.#forwards.keys()] : [pattern];
    for (const p of patterns) {
      const set = this.#forwards.get(p);
      if (set === undefined || !set.delete(conn) || set.size > 0) continue;
      this.#forwards.delete(p);
      const handler = this.#handlers.get(p);
      this.#handlers.delete(p);
      await this.#subscribed.get(p)?.catch(() => {});
      this.#subscribed.delete(p);
      if (handler !== undefined && !this.session.closed) await this.session.unsubscribe(p, handler);
    }
  }

  /** Patterns forwarded to `conn`. */
  forwardedTo(conn: Connection): string[] {
    return [...this.#forwards].filter(([, set]) => set.has(conn)).map(([p]) => p);
  }

  close(): Promise<void> {
    this.#forwards.clear();
    this.#handlers.clear();
    this.#subscribed.clear();
    return this.session.close();
  }
}
