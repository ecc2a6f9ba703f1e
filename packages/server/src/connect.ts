// /meta/connect (Bayeux §4.2): the decision. One outstanding connect per client; hold it up to `timeout`
// when nothing is queued; answer at once for the first connect after a handshake, when other messages share
// the request, when messages are queued, when the client asks for timeout 0 (short polling), and past the
// per-browser limit (with multiple-clients advice, CometD). Holding and answering live in hold.ts.

import type { Advice, Message } from '@pushwire/bayeux';
import { errorString } from '@pushwire/bayeux';
import type { BatchContext, Core } from './core.js';
import { clientIdOf, FIRST_CONNECT_STATE, failure } from './core.js';
import { knownClient, unknownClient } from './meta-handlers.js';

/** What the connect handler decided. */
export type ConnectDecision =
  | { kind: 'reply'; reply: Message }
  /** Answer now, after the other messages of the batch, with whatever is queued. */
  | { kind: 'now'; clientId: string; advice: Advice }
  /** Hold until released (only when the connect is alone in its request). */
  | {
      kind: 'hold';
      clientId: string;
      advice: Advice;
      timeoutMs: number;
      /** Its browser hold is recorded already (Engine.claimBrowserHold): the hold does not set it again. */
      browserClaimed?: boolean;
    };

/** How long past its timeout a held connect still counts for its browser if its node never says it ended. */
export const BROWSER_HOLD_SLACK_MS = 1000;

/** A connect that asks for nothing (the usual one): no fresh object for it. */
const NO_CLIENT_ADVICE: { timeout?: number; interval?: number } = Object.freeze({});

function clientAdvice(message: Message): { timeout?: number; interval?: number } {
  const a = message.advice;
  if (a === null || typeof a !== 'object') return NO_CLIENT_ADVICE;
  const out: { timeout?: number; interval?: number } = {};
  if (typeof a.timeout === 'number' && Number.isFinite(a.timeout) && a.timeout >= 0) out.timeout = a.timeout;
  if (typeof a.interval === 'number' && Number.isFinite(a.interval) && a.interval >= 0)
    out.interval = a.interval;
  return out;
}

/** The last retry advice made: every connect with the same interval and timeout shares it. */
let shared: Advice | undefined;

/**
 * `{reconnect: 'retry', interval, timeout}`, one frozen object for as long as the values repeat (they do:
 * the server's own unless a client asks for its interval). A held connect keeps its advice until
 * answered, so a fresh one per connect was paid per idle client; replies copy it when an outgoing
 * extension could edit it (hold.ts replyAdvice).
 */
function retryAdvice(interval: number, timeout: number): Advice {
  const last = shared;
  if (last !== undefined && last.interval === interval && last.timeout === timeout) return last;
  const advice: Advice = Object.freeze({ reconnect: 'retry', interval, timeout });
  shared = advice;
  return advice;
}

/**
 * The sender, known and pinged (a connect arrived: expiry counts from now), or undefined when unknown,
 * without touchClient. A connect without a connectionType is refused without a ping: it is no sign of a
 * working client.
 */
async function knownAndPinged(core: Core, message: Message): Promise<string | undefined> {
  const clientId = await knownClient(core, message);
  if (clientId !== undefined && typeof message.connectionType === 'string') await core.engine.ping(clientId);
  return clientId;
}

export async function decideConnect(
  core: Core,
  message: Message,
  ctx: BatchContext,
  alone: boolean,
): Promise<ConnectDecision> {
  // The sender, known and pinged: one engine call with touchClient, awaited here (no async function of its
  // own per connect). Without a connectionType it is refused below, without a ping.
  const { engine } = core;
  const id = clientIdOf(message);
  const clientId =
    engine.touchClient !== undefined && id !== undefined && typeof message.connectionType === 'string'
      ? (await engine.touchClient(id))
        ? id
        : undefined
      : await knownAndPinged(core, message);
  if (clientId === undefined) return { kind: 'reply', reply: unknownClient(message) };
  if (typeof message.connectionType !== 'string') {
    return { kind: 'reply', reply: failure(message, errorString('fieldMissing', 'connectionType')) };
  }
  // Deliveries follow the session's CURRENT connect (issue 8 item 10). A client id is a bearer token: any
  // socket or request that presents it speaks for the session, and the latest connect is where the session
  // is now. Over a WebSocket the connect binds pushes to its socket (replacing an older socket's binding);
  // over HTTP it unbinds any socket, so messages go into this connect's reply, not to a socket the session
  // left. When the bound socket closes, the binding goes with it (websocket.ts) and messages wait in the
  // queue for the next connect, wherever it comes from: an older socket gets them again only once it
  // sends a connect itself (before, an old socket kept receiving pushes for a session that had moved).
  if (ctx.transport === 'websocket') ctx.binder?.bindClient(clientId);
  else core.sockets.forgetClient(clientId);
  const { options } = core;
  // Reference §2.2 "client advice honoured": the client's timeout and interval, the timeout never longer
  // than the server's own (a client must not pin a connection longer than the operator allows).
  const asked = clientAdvice(message);
  const timeoutMs = Math.min(asked.timeout ?? options.timeout, options.timeout);
  // A client's own interval is honoured up to half of maxInterval: the engine expires a client maxInterval
  // after its last reply (CometD adds the interval to it; our Engine has one expiry for all clients), so
  // a longer wait between polls would expire the session between two of them.
  const interval =
    asked.interval === undefined
      ? options.interval
      : Math.min(asked.interval, Math.floor(options.maxInterval / 2));
  const advice = retryAdvice(interval, options.timeout);
  const first = (await engine.takeClientState(clientId, FIRST_CONNECT_STATE)) !== undefined;
  if (first || !alone || timeoutMs === 0 || core.closing) return { kind: 'now', clientId, advice };
  for (const hook of core.extensions.deliveryHooks()) {
    if (hook.hasPending(clientId)) return { kind: 'now', clientId, advice };
  }
  // CometD maxSessionsPerBrowser: extra tabs of one browser short-poll instead of holding a connection
  // each (HTTP/1.1 allows few connections per host).
  let browserClaimed = false;
  if (ctx.browserId !== undefined && options.maxSessionsPerBrowser >= 0 && ctx.transport !== 'websocket') {
    const max = options.maxSessionsPerBrowser;
    // With claimBrowserHold the count and this connect's own hold are one engine call (hold.ts sets it
    // otherwise, once held).
    const until = Date.now() + timeoutMs + BROWSER_HOLD_SLACK_MS;
    const holds =
      engine.claimBrowserHold !== undefined
        ? await engine.claimBrowserHold(ctx.browserId, clientId, until, max)
        : await engine.browserHolds(ctx.browserId, clientId);
    browserClaimed = engine.claimBrowserHold !== undefined;
    if (holds >= max) {
      return {
        kind: 'now',
        clientId,
        advice: {
          'multiple-clients': true,
          reconnect: 'retry',
          interval: options.multiSessionInterval,
          // The usual timeout, not 0: clients size their request timeout from it, and this tab's connect
          // will be held again once the other tab leaves.
          timeout: options.timeout,
        },
      };
    }
  }
  return browserClaimed
    ? { kind: 'hold', clientId, advice, timeoutMs, browserClaimed }
    : { kind: 'hold', clientId, advice, timeoutMs };
}
