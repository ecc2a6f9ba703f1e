// The handshake / connect loop (Bayeux §4.1-4.2, §3.6 advice) with transport negotiation and fallback.
//
// - Exactly one outstanding /meta/connect (§4.2.1): `#connectOutstanding` guards every send.
// - Advice: `retry` waits `interval`, `handshake` re-handshakes, `none` (or a negative interval) stops.
//   Clients act on advice, never on error codes (402 vs 401 vs 403 differ between servers).
// - Network failure: backoff (increment, cap, jitter), reset only when a /meta/connect succeeds; a session
//   lost before any connect succeeded also backs off before the re-handshake.
// - Request timeout: advice.timeout + maxNetworkDelay for a held connect, maxNetworkDelay otherwise.
// - Which transport to drop after a failure is negotiate.ts's `fallbackFor` (websocket that never worked;
//   long-polling refused by CORS on a cross-origin page, for callback-polling).
// - Every failed attempt is a ClientError with a code (the cause), reported as `error` and carried by the
//   `reconnecting` status with the attempt number and the delay (issue 7: say what is wrong).

import { type Advice, BAYEUX_VERSION, type ConnectionType, META, type Message } from '@pushwire/bayeux';
import { Attempts, type AttemptsHooks } from './attempts.js';
import { Backoff } from './backoff.js';
import { CookieJar, runtimeKeepsCookies } from './cookies.js';
import { applyAdvice, type CurrentAdvice, initialAdvice } from './current-advice.js';
import type { Dispatcher } from './dispatcher.js';
import { ClientError, refused, toClientError } from './errors.js';
import {
  announcedTypes,
  fallbackFor,
  negotiate,
  restoreAfter,
  TRANSPORTS,
  type TransportFailure,
  type TransportName,
  wireType,
} from './negotiate.js';
import type { ResolvedOptions } from './options.js';
import type { Scheduler } from './scheduler.js';
import { createTransport } from './transports/create.js';
import type { Transport } from './transports/transport.js';
import type { ClientState } from './types.js';

export interface ConnectionHooks extends AttemptsHooks {
  transportUp(name: TransportName): void;
  transportDown(name: TransportName): void;
  handshake(reply: Message, reestablished: boolean): void;
  /** Every successful /meta/connect reply. */
  connected(): void;
  /** The client gave up (advice none, no transport, refused handshake); already reported. */
  fatal(error: Error): void;
}

export class Connection {
  readonly #url: string;
  readonly #opts: ResolvedOptions;
  readonly #dispatcher: Dispatcher;
  readonly #hooks: ConnectionHooks;
  readonly #attempts: Attempts;
  readonly #backoff: Backoff;
  readonly #disabled = new Set<TransportName>();
  readonly #cookies: CookieJar | null;
  /** Wire types on which a /meta/connect once succeeded: they are never dropped by a fallback. */
  readonly #worked = new Set<ConnectionType>();
  /** Dropped because the failure looked like CORS (negotiate.ts restoreAfter may give them back). */
  #droppedForCors: TransportName[] = [];
  #advice: CurrentAdvice;
  #clientId: string | null = null;
  #transport: Transport | null = null;
  #transportName: TransportName | null = null;
  #transportUp = false;
  #connectOutstanding = false;
  #firstConnect = true;
  #handshakes = 0;
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
    this.#hooks = hooks;
    this.#attempts = new Attempts(scheduler, hooks);
    this.#backoff = new Backoff({
      increment: opts.backoffIncrement,
      max: opts.maxBackoff,
      jitter: opts.backoffJitter,
    });
    this.#advice = initialAdvice(opts.advice);
    this.#cookies = opts.cookies && !runtimeKeepsCookies() ? new CookieJar() : null;
  }

  get state(): ClientState {
    return this.#attempts.state;
  }

  get clientId(): string | null {
    return this.#clientId;
  }

  get transportName(): TransportName | null {
    return this.#transportName;
  }

  /** The failure of the latest attempt since the last successful connect (null once connected). */
  get lastCause(): ClientError | null {
    return this.#attempts.lastCause;
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
    if (this.state !== 'disconnected') return;
    this.#attempts.reset();
    this.#handshake(0);
  }

  /** Ends the loop locally: after /meta/disconnect (`cause` null), or on a fatal error. */
  stop(cause: Error | null = null): void {
    this.#epoch++;
    this.#attempts.cancel();
    this.#clientId = null;
    this.#connectOutstanding = false;
    this.#setTransportDown();
    this.#transport?.close();
    this.#transport = null;
    this.#transportName = null;
    this.#dispatcher.transport = null;
    this.#attempts.disconnected(cause);
  }

  /** Ignores replies and timers of the running session (while /meta/disconnect is in flight). */
  halt(): void {
    this.#epoch++;
    this.#attempts.cancel();
  }

  /**
   * Called by the client when a reply advises a re-handshake (e.g. a publish hit an expired session).
   * `clientId` is the session the refused request was sent in: a late refusal for an older session must
   * not throw away the new one.
   */
  rehandshake(clientId: string | undefined, reply: Message): void {
    if (this.state === 'disconnected' || this.#clientId === null) return;
    if (clientId !== undefined && clientId !== this.#clientId) return;
    const cause = refused('CLIENT_SESSION_LOST', `${reply.channel} refused: session lost`, reply);
    this.#handshake(this.#sessionLostDelay(), cause);
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
  transportFailed(transport: Transport, error: Error): void {
    if (transport !== this.#transport) return;
    this.#setTransportDown();
    // The connect in flight (if any) was failed by the dispatcher and its handler does the recovery.
    if (!this.#connectOutstanding && this.state === 'connected') this.#onConnectFailure(error);
  }

  #applyAdvice(advice: Advice | undefined): void {
    this.#advice = applyAdvice(this.#advice, advice, this.#transportName, this.#opts.advice);
  }

  // Handshake ------------------------------------------------------------------------------------

  /** Starts a new session: at once (first attempt, fallback), or after `delayMs` because of `cause`. */
  #handshake(delayMs: number, cause?: ClientError): void {
    const epoch = ++this.#epoch;
    this.#attempts.cancel();
    this.#clientId = null;
    this.#connectOutstanding = false;
    this.#firstConnect = true;
    /** Says `connecting` on the transport to try; false (and the client stops) when none is left. */
    const begin = (): boolean => {
      const first = this.enabledTransports()[0];
      if (first === undefined) {
        this.#fail(new ClientError('CLIENT_NO_TRANSPORT', 'no transport left to try'));
        return false;
      }
      this.#useTransport(first);
      this.#attempts.connecting(first);
      return true;
    };
    if (cause !== undefined) {
      this.#attempts.failed(cause, delayMs, () => {
        if (begin()) void this.#sendHandshake(epoch);
      });
      return;
    }
    // `connecting` at once (a second start() in the same tick does nothing); the handshake goes out on
    // the next macrotask, after whatever the caller queues in this one.
    if (begin()) this.#attempts.arm(() => void this.#sendHandshake(epoch), 0);
  }

  async #sendHandshake(epoch: number): Promise<void> {
    const enabled = this.enabledTransports();
    // CometD practice: reset advice before each handshake (cometd#722) so stale advice cannot loop.
    this.#advice = initialAdvice(this.#opts.advice);
    const message: Message = {
      channel: META.handshake,
      version: BAYEUX_VERSION,
      minimumVersion: BAYEUX_VERSION,
      supportedConnectionTypes: announcedTypes(enabled),
      advice: { timeout: this.#opts.advice.timeout, interval: this.#opts.advice.interval },
    };
    try {
      await this.#opts.onBeforeHandshake?.(message);
    } catch (err) {
      if (epoch !== this.#epoch) return;
      // The application's hook (e.g. fetching a token) failed: retry with backoff, it may recover.
      const cause = new ClientError('CLIENT_EXTENSION', `onBeforeHandshake failed: ${String(err)}`, {
        cause: err,
      });
      this.#handshake(this.#backoff.next(), cause);
      return;
    }
    if (epoch !== this.#epoch) return;
    let reply: Message;
    try {
      reply = await this.#dispatcher.request(message, this.#opts.maxNetworkDelay);
    } catch (err) {
      if (epoch !== this.#epoch) return;
      this.#onHandshakeFailure(toClientError(err));
      return;
    }
    if (epoch !== this.#epoch) return;
    this.#applyAdvice(reply.advice);
    if (reply.successful !== true || typeof reply.clientId !== 'string' || reply.clientId === '') {
      const error =
        reply.successful === true
          ? new ClientError('CLIENT_BAD_MESSAGE', 'handshake reply without clientId')
          : refused('CLIENT_HANDSHAKE_DENIED', `handshake denied by ${this.#url}`, reply);
      if (this.#advice.reconnect === 'none') {
        this.#fail(error);
        return;
      }
      this.#handshake(this.#backoff.next() + Math.max(0, this.#advice.interval), error);
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

  #onHandshakeFailure(err: ClientError): void {
    if (err.code === 'CLIENT_EXTENSION') {
      this.#fail(err);
      return;
    }
    this.#setTransportDown();
    if (this.#maybeFallBack(err)) return;
    const transport = this.#transportName;
    if (transport !== null && this.#droppedForCors.length > 0) {
      const restore = restoreAfter(this.#failure(transport, err), this.#droppedForCors);
      for (const name of restore) this.#disabled.delete(name);
      if (restore.length > 0) this.#droppedForCors = [];
    }
    this.#handshake(this.#backoff.next(), err);
  }

  // Connect --------------------------------------------------------------------------------------

  #sendConnect(epoch: number): void {
    if (this.#connectOutstanding || this.#clientId === null || this.#transportName === null) return;
    this.#connectOutstanding = true;
    const short = this.#transportName === TRANSPORTS.shortPolling;
    // Not connected (first connect, or a retry after a failure): ask for an immediate reply, so the
    // application learns it is connected at once instead of after a full hold (CometD does the same).
    const immediate = this.#firstConnect || short || this.state !== 'connected';
    const message: Message = {
      channel: META.connect,
      clientId: this.#clientId,
      connectionType: wireType(this.#transportName),
    };
    // Short polling asks for an immediate reply every time (DESIGN.md: long-polling with timeout 0).
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
    this.#applyAdvice(reply.advice);
    if (reply.successful !== true) {
      const action = this.#advice.reconnect ?? 'retry';
      if (action === 'handshake') {
        const cause = refused('CLIENT_SESSION_LOST', 'connect refused: session lost', reply);
        this.#handshake(this.#sessionLostDelay(), cause);
        return;
      }
      const cause = refused('CLIENT_CONNECT_DENIED', `connect refused (advice ${action})`, reply);
      if (action === 'none') this.#fail(cause);
      else this.#retryConnect(epoch, this.#backoff.next() + Math.max(0, this.#advice.interval), cause);
      return;
    }
    if (this.#advice.interval < 0 || this.#advice.reconnect === 'none') {
      this.#fail(new ClientError('CLIENT_DISCONNECTED', 'server advised not to reconnect'));
      return;
    }
    this.#backoff.reset();
    this.#firstConnect = false;
    const transport = this.#transportName;
    const clientId = this.#clientId;
    if (transport === null || clientId === null) return;
    this.#worked.add(wireType(transport));
    this.#droppedForCors = [];
    if (!this.#transportUp) {
      this.#transportUp = true;
      this.#hooks.transportUp(transport);
    }
    this.#attempts.connected(transport, clientId);
    this.#hooks.connected();
    let delay = this.#advice.interval;
    if (transport === TRANSPORTS.shortPolling) delay = Math.max(delay, this.#opts.shortPollingInterval);
    this.#attempts.arm(() => this.#sendConnect(epoch), delay);
  }

  #onConnectFailure(err: unknown): void {
    this.#setTransportDown();
    const error = toClientError(err);
    if (error.code === 'CLIENT_EXTENSION') {
      this.#fail(error);
      return;
    }
    if (this.#maybeFallBack(error)) return;
    // A websocket that stopped answering is replaced by a fresh one on the next attempt.
    if (this.#transportName === TRANSPORTS.websocket) this.#useTransport(TRANSPORTS.websocket, true);
    this.#retryConnect(this.#epoch, this.#backoff.next(), error);
  }

  #retryConnect(epoch: number, delayMs: number, cause: ClientError): void {
    this.#attempts.failed(cause, delayMs, () => {
      if (this.#transportName !== null) this.#attempts.connecting(this.#transportName);
      this.#sendConnect(epoch);
    });
  }

  /** Drops the failed transport when negotiate.ts says so (fallbackFor) and re-handshakes on the next. */
  #maybeFallBack(err: ClientError): boolean {
    const transport = this.#transportName;
    if (transport === null) return false;
    const enabled = this.enabledTransports();
    const drop = fallbackFor(this.#failure(transport, err));
    const next = enabled.find((name) => !drop.includes(name));
    if (drop.length === 0 || next === undefined) return false;
    for (const name of drop) this.#disabled.add(name);
    if (err.code === 'CLIENT_CORS') this.#droppedForCors = drop;
    // Said before the switch, so the application learns both what failed and what the client does next.
    const switched = new ClientError(err.code, `${err.message}; switching to ${next}`, {
      cause: err.cause,
      status: err.status,
      closeCode: err.closeCode,
      unsent: err.unsent,
    });
    this.#attempts.noted(switched);
    this.#handshake(0);
    return true;
  }

  #failure(transport: TransportName, err: ClientError): TransportFailure {
    return {
      transport,
      code: err.code,
      worked: this.#worked.has(wireType(transport)),
      sticky: this.#opts.stickyReconnect,
      enabled: this.enabledTransports(),
    };
  }

  /** Runs the waiting retry / handshake / poll now (browsers: on 'online' and when a tab becomes visible). */
  wake(): void {
    this.#attempts.wake();
  }

  // Helpers --------------------------------------------------------------------------------------

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
    this.#transport = createTransport(name, init);
    this.#transportName = name;
    this.#dispatcher.transport = this.#transport;
  }

  #setTransportDown(): void {
    if (!this.#transportUp || this.#transportName === null) return;
    this.#transportUp = false;
    this.#hooks.transportDown(this.#transportName);
  }

  /** Gives up: says why (`error`), then `disconnected` with the same cause, then the client shuts down. */
  #fail(error: ClientError): void {
    this.#hooks.report(error);
    this.stop(error);
    this.#hooks.fatal(error);
  }
}
