// What the connection loop shows the application, and its one timer: the state (connecting, connected,
// reconnecting, disconnected), the count of failed attempts since the last successful /meta/connect, the
// last failure (the cause a CLIENT_NO_SESSION names), and the armed retry or poll that `wake()` can run
// early. The loop (connection.ts) decides what to do; this says it and schedules it.

import type { ClientError } from './errors.js';
import type { TransportName } from './negotiate.js';
import type { Scheduler } from './scheduler.js';
import type {
  ClientState,
  ConnectedInfo,
  ConnectingInfo,
  DisconnectedInfo,
  ReconnectingInfo,
} from './types.js';

/** A change of the loop's state, with what a status line shows. */
export type StatusChange =
  | { state: 'connecting'; info: ConnectingInfo }
  | { state: 'connected'; info: ConnectedInfo }
  | { state: 'reconnecting'; info: ReconnectingInfo }
  | { state: 'disconnected'; info: DisconnectedInfo };

export interface AttemptsHooks {
  /** `connecting` and `reconnecting` on every attempt; `connected` and `disconnected` when entered. */
  status(change: StatusChange): void;
  /** A failed attempt's cause, for the application's `error` listeners. */
  report(error: ClientError): void;
}

export class Attempts {
  readonly #scheduler: Scheduler;
  readonly #hooks: AttemptsHooks;
  #state: ClientState = 'disconnected';
  #failures = 0;
  #lastCause: ClientError | null = null;
  #cancelTimer: (() => void) | null = null;
  /** What the armed timer will do, so wake() can do it now. */
  #armed: (() => void) | null = null;

  constructor(scheduler: Scheduler, hooks: AttemptsHooks) {
    this.#scheduler = scheduler;
    this.#hooks = hooks;
  }

  get state(): ClientState {
    return this.#state;
  }

  /** The failure of the latest attempt since the last successful connect (null once connected). */
  get lastCause(): ClientError | null {
    return this.#lastCause;
  }

  /** A new start from `disconnected`: nothing has failed yet. */
  reset(): void {
    this.#failures = 0;
    this.#lastCause = null;
  }

  /** An attempt (handshake or connect) starts on `transport`. */
  connecting(transport: TransportName): void {
    this.#status({ state: 'connecting', info: { attempt: this.#failures, transport } });
  }

  /** A /meta/connect succeeded: the count starts again. */
  connected(transport: TransportName, clientId: string): void {
    this.reset();
    if (this.#state !== 'connected') this.#status({ state: 'connected', info: { transport, clientId } });
  }

  disconnected(cause: Error | null): void {
    this.cancel();
    if (this.#state !== 'disconnected') this.#status({ state: 'disconnected', info: { cause } });
  }

  /** One more failed attempt: says why (`error`, then `reconnecting`), then runs `retry` after `delayMs`. */
  failed(cause: ClientError, delayMs: number, retry: () => void): void {
    this.#failures++;
    this.#lastCause = cause;
    this.#hooks.report(cause);
    this.#status({ state: 'reconnecting', info: { attempt: this.#failures, delayMs, cause } });
    this.arm(retry, delayMs);
  }

  /** A failure the loop answers at once (a fallback to another transport): said, not counted. */
  noted(cause: ClientError): void {
    this.#lastCause = cause;
    this.#hooks.report(cause);
  }

  /** Runs `fn` after `delayMs`, replacing whatever was armed. */
  arm(fn: () => void, delayMs: number): void {
    this.cancel();
    this.#armed = fn;
    this.#cancelTimer = this.#scheduler.schedule(() => {
      this.#cancelTimer = null;
      this.#armed = null;
      fn();
    }, delayMs);
  }

  cancel(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#armed = null;
  }

  /**
   * Runs the waiting retry / handshake / poll now. Browsers call this on 'online' and when a hidden tab
   * becomes visible: a throttled background timer (up to a minute late) must not delay the reconnect.
   */
  wake(): void {
    const fire = this.#armed;
    if (fire === null) return;
    this.cancel();
    fire();
  }

  #status(change: StatusChange): void {
    this.#state = change.state;
    this.#hooks.status(change);
  }
}
