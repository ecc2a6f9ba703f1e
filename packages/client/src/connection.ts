// The handshake / connect loop (Bayeux §4.1-4.2, §3.6 advice) with transport negotiation and fallback.
//
// - Exactly one outstanding /meta/connect (§4.2.1): `#connectOutstanding` guards every send.
// - Advice: `retry` waits `interval`, `handshake` re-handshakes, `none` (or a negative interval) stops.
//   Clients act on advice, never on error codes (402 vs 401 vs 403 differ between servers).
// - Network failure: backoff (increment, cap, jitter), reset only when a /meta/connect succeeds; a session
//   lost before any connect succeeded also backs off before the re-handshake.
// - Request timeout: advice.timeout + maxNetworkDelay for a held connect, maxNetworkDelay otherwise.
// - websocket that cannot open, or opens and fails before any connect succeeded on it: fall back to the
//   next transport and re-handshake; websocket is retried later only if it once worked (stickyReconnect).

import { type Advice, BAYEUX_VERSION, type ConnectionType, META, type Message } from '@pushwire/bayeux';
import { Backoff } from './backoff.js';
import { CookieJar, runtimeKeepsCookies } from './cookies.js';
import type { Dispatcher } from './dispatcher.js';
import { ClientError, ServerRefusal } from './errors.js';
import {
  announcedTypes,
  fallbackFor,
  negotiate,
  TRANSPORTS,
  type TransportName,
  wireType,
} from './negotiate.js';
import type { ResolvedOptions } from './options.js';
import type { Scheduler } from './scheduler.js';
import { CallbackPollingTransport } from './transports/callback-polling.js';
import { LongPollingTransport } from './transports/long-polling.js';
import type { Transport } from './transports/transport.js';
import { WebSocketTransport } from './transports/websocket.js';
import type { ClientState } from './types.js';

export interface ConnectionHooks {
  state(state: ClientState, delayMs: number): void;
  transportUp(name: TransportName): void;
  transportDown(name: TransportName): void;
  handshake(reply: Message, reestablished: boolean): void;
  /** Every successful /meta/connect reply. */
  connected(): void;
  /** The client gave up (advice none, no transport, refused handshake). */
  fatal(error: Error): void;
  /** A failure the loop recovers from by itself, but which the application should see (bad replies). */
  report(error: Error): void;
}

interface CurrentAdvice {
  reconnect: 'retry' | 'handshake' | 'none' | undefined;
  interval: number;
  timeout: number;
}

export class Connection {
  readonly #url: string;
  readonly #opts: ResolvedOptions;
  readonly #dispatcher: Dispatcher;
  readonly #scheduler: Scheduler;
  readonly #hooks: ConnectionHooks;
  readonly #backoff: Backoff;
  readonly #disabled = new Set<TransportName>();
  readonly #cookies: CookieJar | null;
  #advice: CurrentAdvice;
  #state: ClientState = 'disconnected';
  #clientId: string | null = null;
  #transport: Transport | null = null;
  #transportName: TransportName | null = null;
  #transportUp = false;
  /** Wire types on which a /meta/connect once succeeded: they are never dropped by a fallback. */
  readonly #worked = new Set<ConnectionType>();
  #connectOutstanding = false;
  #firstConnect = true;
  #handshakes = 0;
  #cancelTimer: (() => void) | null = null;
  /** What the armed timer will do, so wake() can do it now. */
  #armed: (() => void) | null = null;
  /** Bumped on stop/re-handshake so replies to an older session are ignored. */
  #epoch = 0;

  constructor(
    url: string,
    opts: ResolvedOptions,
    dispatcher: Dispatcher,
    scheduler: Scheduler,
    hooks: ConnectionHooks,
  ) {
    this.#url = url;
    this.#opts = opts;
    this.#dispatcher = dispatcher;
    this.#scheduler = scheduler;
    this.#hooks = hooks;
    this.#backoff = new Backoff({
      increment: opts.backoffIncrement,
      max: opts.maxBackoff,
      jitter: opts.backoffJitter,
    });
    this.#advice = { reconnect: undefined, ...opts.advice };
    this.#cookies = opts.cookies && !runtimeKeepsCookies() ? new CookieJar() : null;
  }

  get state(): ClientState {
    return this.#state;
  }

  get clientId(): string | null {
    return this.#clientId;
  }

  get transportName(): TransportName | null {
    return this.#transportName;
  }

  /** True when a clientId is known and messages other than handshake may be sent. */
  get ready(): boolean {
    return this.#clientId !== null;
  }

  /** The transports still allowed, in preference order. */
  enabledTransports(): TransportName[] {
    return this.#opts.transports.filter((name) => !this.#disabled.has(name));
  }

  start(): void {
    if (this.#state !== 'disconnected') return;
    this.#handshake(0);
  }

  /** Ends the loop locally (after /meta/disconnect, or on a fatal error). */
  stop(): void {
    this.#epoch++;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#armed = null;
    this.#clientId = null;
    this.#connectOutstanding = false;
    this.#setTransportDown();
    this.#transport?.close();
    this.#transport = null;
    this.#transportName = null;
    this.#dispatcher.transport = null;
    this.#setState('disconnected', 0);
  }

  /** Ignores replies and timers of the running session (while /meta/disconnect is in flight). */
  halt(): void {
    this.#epoch++;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#armed = null;
  }

  /**
   * Called by the client when a reply advises a re-handshake (e.g. a publish hit an expired session).
   * `clientId` is the session the refused request was sent in: a late refusal for an older session must
   * not throw away the new one.
   */
  rehandshake(clientId: string | undefined): void {
    if (this.#state === 'disconnected' || this.#state === 'handshaking') return;
    if (clientId !== undefined && clientId !== this.#clientId) return;
    this.#handshake(this.#sessionLostDelay());
  }

  /**
   * Delay before re-handshaking because the server lost the session. A session that completed a connect
   * was real and then expired: re-handshake after the advised interval only (Bayeux §3.6.1.1). A session
   * that died before any connect succeeded never worked: add the backoff, or a server that accepts every
   * handshake and refuses every connect is hammered without pause.
   */
  #sessionLostDelay(): number {
    const interval = Math.max(0, this.#advice.interval);
    return this.#firstConnect ? this.#backoff.next() + interval : interval;
  }

  /** A transport failed outside any request (websocket closed). */
  transportFailed(transport: Transport): void {
    if (transport !== this.#transport) return;
    this.#setTransportDown();
    // The connect in flight (if any) was failed by the dispatcher and its handler does the recovery.
    if (!this.#connectOutstanding && this.#state === 'connected')
      this.#onConnectFailure(new ClientError('CLIENT_TRANSPORT', 'transport failed'));
  }

  applyAdvice(advice: Advice | undefined): void {
    if (advice === undefined || typeof advice !== 'object') return;
    const specific = this.#transportName === null ? undefined : advice[wireType(this.#transportName)];
    const merged = {
      ...advice,
      ...(typeof specific === 'object' && specific !== null ? specific : {}),
    } as Advice;
    // Bayeux §3.6: new advice replaces earlier advice.
    this.#advice = {
      reconnect: merged.reconnect,
      interval: typeof merged.interval === 'number' ? merged.interval : this.#opts.advice.interval,
      timeout: typeof merged.timeout === 'number' ? merged.timeout : this.#opts.advice.timeout,
    };
  }

  // Handshake ------------------------------------------------------------------------------------

  #handshake(delayMs: number): void {
    const epoch = ++this.#epoch;
    this.#cancelTimer?.();
    this.#clientId = null;
    this.#connectOutstanding = false;
    this.#firstConnect = true;
    this.#setState('handshaking', delayMs);
    this.#arm(() => void this.#sendHandshake(epoch), delayMs);
  }

  async #sendHandshake(epoch: number): Promise<void> {
    const enabled = this.enabledTransports();
    const first = enabled[0];
    if (first === undefined) {
      this.#fail(new ClientError('CLIENT_NO_TRANSPORT', 'no transport left to try'));
      return;
    }
    this.#useTransport(first);
    // CometD practice: reset advice before each handshake (cometd#722) so stale advice cannot loop.
    this.#advice = { reconnect: undefined, ...this.#opts.advice };
    const message: Message = {
      channel: META.handshake,
      version: BAYEUX_VERSION,
      minimumVersion: BAYEUX_VERSION,
      supportedConnectionTypes: announcedTypes(enabled),
      advice: { timeout: this.#opts.advice.timeout, interval: this.#opts.advice.interval },
    };
    let reply: Message;
    try {
      await this.#opts.onBeforeHandshake?.(message);
      if (epoch !== this.#epoch) return;
      reply = await this.#dispatcher.request(message, this.#opts.maxNetworkDelay);
    } catch (err) {
      if (epoch !== this.#epoch) return;
      this.#onHandshakeFailure(err);
      return;
    }
    if (epoch !== this.#epoch) return;
    this.applyAdvice(reply.advice);
    if (reply.successful !== true || typeof reply.clientId !== 'string' || reply.clientId === '') {
      const error =
        reply.successful === true
          ? new ClientError('CLIENT_BAD_MESSAGE', 'handshake reply without clientId')
          : new ServerRefusal(reply);
      if (this.#advice.reconnect === 'none') {
        this.#fail(error);
        return;
      }
      this.#hooks.report(error);
      this.#handshake(this.#backoff.next() + Math.max(0, this.#advice.interval));
      return;
    }
    const chosen = negotiate(enabled, reply.supportedConnectionTypes);
    if (chosen === undefined) {
      this.#fail(
        new ClientError(
          'CLIENT_NO_TRANSPORT',
          `server supports ${JSON.stringify(reply.supportedConnectionTypes)}, client ${JSON.stringify(enabled)}`,
        ),
      );
      return;
    }
    this.#clientId = reply.clientId;
    // No backoff reset here: a handshake that works is not yet a working session. Behind a non-sticky
    // balancer with per-node sessions every handshake succeeds and every connect is refused; resetting
    // here made that a tight handshake+connect loop. The reset happens on the first successful connect.
    this.#useTransport(chosen);
    this.#hooks.handshake(reply, this.#handshakes++ > 0);
    this.#sendConnect(epoch);
  }

  #onHandshakeFailure(err: unknown): void {
    if (err instanceof ClientError && err.code === 'CLIENT_EXTENSION') {
      this.#fail(err);
      return;
    }
    this.#setTransportDown();
    if (this.#maybeFallBack(err)) return;
    this.#handshake(this.#backoff.next());
  }

  // Connect --------------------------------------------------------------------------------------

  #sendConnect(epoch: number): void {
    if (this.#connectOutstanding || this.#clientId === null || this.#transportName === null) return;
    this.#connectOutstanding = true;
    const short = this.#transportName === TRANSPORTS.shortPolling;
    const immediate = this.#firstConnect || short;
    const message: Message = {
      channel: META.connect,
      clientId: this.#clientId,
      connectionType: wireType(this.#transportName),
    };
    // CometD: the first connect asks for an immediate reply so the app learns it is connected; short
    // polling asks for it every time (DESIGN.md: short polling is long-polling with timeout 0).
    if (immediate) message.advice = { timeout: 0 };
    const timeout = (immediate ? 0 : Math.max(0, this.#advice.timeout)) + this.#opts.maxNetworkDelay;
    this.#dispatcher.request(message, timeout).then(
      (reply) => {
        if (epoch !== this.#epoch) return;
        this.#connectOutstanding = false;
        this.#onConnectReply(reply, epoch);
      },
      (err: unknown) => {
        if (epoch !== this.#epoch) return;
        this.#connectOutstanding = false;
        this.#onConnectFailure(err);
      },
    );
  }

  #onConnectReply(reply: Message, epoch: number): void {
    this.applyAdvice(reply.advice);
    if (reply.successful !== true) {
      const action = this.#advice.reconnect ?? 'retry';
      if (action === 'none') this.#fail(new ServerRefusal(reply));
      else if (action === 'handshake') this.#handshake(this.#sessionLostDelay());
      else this.#retryConnect(epoch, this.#backoff.next() + Math.max(0, this.#advice.interval));
      return;
    }
    if (this.#advice.interval < 0 || this.#advice.reconnect === 'none') {
      this.#fail(new ClientError('CLIENT_DISCONNECTED', 'server advised not to reconnect'));
      return;
    }
    this.#backoff.reset();
    this.#firstConnect = false;
    if (this.#transportName !== null) this.#worked.add(wireType(this.#transportName));
    if (!this.#transportUp && this.#transportName !== null) {
      this.#transportUp = true;
      this.#hooks.transportUp(this.#transportName);
    }
    this.#setState('connected', 0);
    this.#hooks.connected();
    let delay = this.#advice.interval;
    if (this.#transportName === TRANSPORTS.shortPolling)
      delay = Math.max(delay, this.#opts.shortPollingInterval);
    this.#arm(() => this.#sendConnect(epoch), delay);
  }

  #onConnectFailure(err: unknown): void {
    this.#setTransportDown();
    if (err instanceof ClientError && err.code === 'CLIENT_EXTENSION') {
      this.#fail(err);
      return;
    }
    if (this.#maybeFallBack(err)) return;
    // A websocket that stopped answering is replaced by a fresh one on the next attempt.
    if (this.#transportName === TRANSPORTS.websocket) this.#useTransport(TRANSPORTS.websocket, true);
    this.#retryConnect(this.#epoch, this.#backoff.next());
  }

  #retryConnect(epoch: number, delayMs: number): void {
    this.#setState('reconnecting', delayMs);
    this.#arm(() => this.#sendConnect(epoch), delayMs);
  }

  /** Drops the failed transport when negotiate.ts says so (fallbackFor) and re-handshakes on the next. */
  #maybeFallBack(err: unknown): boolean {
    const transport = this.#transportName;
    if (transport === null) return false;
    const drop = fallbackFor({
      transport,
      code: err instanceof ClientError ? err.code : 'CLIENT_TRANSPORT',
      worked: this.#worked.has(wireType(transport)),
      sticky: this.#opts.stickyReconnect,
      enabled: this.enabledTransports(),
    });
    if (drop.length === 0) return false;
    for (const name of drop) this.#disabled.add(name);
    this.#handshake(0);
    return true;
  }

  /**
   * Runs the waiting retry / handshake / poll now. Browsers call this on 'online' and when a hidden tab
   * becomes visible: a throttled background timer (up to a minute late) must not delay the reconnect.
   */
  wake(): void {
    const fire = this.#armed;
    if (fire === null) return;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#armed = null;
    fire();
  }

  // Helpers --------------------------------------------------------------------------------------

  #arm(fn: () => void, delayMs: number): void {
    this.#cancelTimer?.();
    this.#armed = fn;
    this.#cancelTimer = this.#scheduler.schedule(() => {
      this.#cancelTimer = null;
      this.#armed = null;
      fn();
    }, delayMs);
  }

  #useTransport(name: TransportName, fresh = false): void {
    if (
      !fresh &&
      this.#transportName !== null &&
      wireType(name) === wireType(this.#transportName) &&
      this.#transport !== null
    ) {
      this.#transportName = name;
      return;
    }
    this.#transport?.close();
    this.#setTransportDown();
    const init = { url: this.#url, options: this.#opts, sink: this.#dispatcher, cookies: this.#cookies };
    const type = wireType(name);
    this.#transport =
      type === TRANSPORTS.websocket
        ? new WebSocketTransport(init)
        : type === TRANSPORTS.callbackPolling
          ? new CallbackPollingTransport(init)
          : new LongPollingTransport(init);
    this.#transportName = name;
    this.#dispatcher.transport = this.#transport;
  }

  #setTransportDown(): void {
    if (!this.#transportUp || this.#transportName === null) return;
    this.#transportUp = false;
    this.#hooks.transportDown(this.#transportName);
  }

  #setState(state: ClientState, delayMs: number): void {
    if (state === this.#state && state !== 'reconnecting') return;
    if (state === this.#state && delayMs === 0) return;
    this.#state = state;
    this.#hooks.state(state, delayMs);
  }

  #fail(error: Error): void {
    this.stop();
    this.#hooks.fatal(error);
  }
}
