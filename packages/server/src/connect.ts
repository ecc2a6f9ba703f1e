// /meta/connect (Bayeux §4.2). One outstanding connect per client; hold it up to `timeout` when nothing is
// queued; answer at once for the first connect after a handshake, when other messages share the request,
// when messages are queued, when the client asks for timeout 0 (short polling), and past the per-browser
// limit (with multiple-clients advice, CometD). Queued messages ride in the reply.

import type { Advice, Message } from '@pushwire/bayeux';
import { errorString } from '@pushwire/bayeux';
import type { ReleaseReason } from './connections.js';
import type { BatchContext, Core } from './core.js';
import { failure, HANDSHAKE_ADVICE, replyTo } from './core.js';
import type { DestroyReason } from './engine/engine.js';
import { knownClient, unknownClient } from './meta-handlers.js';

/** What the connect handler decided. */
export type ConnectDecision =
  | { kind: 'reply'; reply: Message }
  /** Answer now, after the other messages of the batch, with whatever is queued. */
  | { kind: 'now'; clientId: string; advice: Advice }
  /** Hold until released (only when the connect is alone in its request). */
  | { kind: 'hold'; clientId: string; advice: Advice; timeoutMs: number };

function clientAdvice(message: Message): { timeout?: number; interval?: number } {
  const a = message.advice;
  if (a === null || typeof a !== 'object') return {};
  const out: { timeout?: number; interval?: number } = {};
  if (typeof a.timeout === 'number' && Number.isFinite(a.timeout) && a.timeout >= 0) out.timeout = a.timeout;
  if (typeof a.interval === 'number' && Number.isFinite(a.interval) && a.interval >= 0)
    out.interval = a.interval;
  return out;
}

export async function decideConnect(
  core: Core,
  message: Message,
  ctx: BatchContext,
  alone: boolean,
): Promise<ConnectDecision> {
  const clientId = await knownClient(core, message);
  if (clientId === undefined) return { kind: 'reply', reply: unknownClient(message) };
  if (typeof message.connectionType !== 'string') {
    return { kind: 'reply', reply: failure(message, errorString('fieldMissing', 'connectionType')) };
  }
  await core.engine.ping(clientId);
  if (ctx.transport === 'websocket') ctx.bindClient?.(clientId);
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
  const advice: Advice = { reconnect: 'retry', interval, timeout: options.timeout };
  const first = core.awaitingFirstConnect.delete(clientId);
  if (first || !alone || timeoutMs === 0 || core.closing) return { kind: 'now', clientId, advice };
  for (const hook of core.extensions.deliveryHooks()) {
    if (hook.hasPending(clientId)) return { kind: 'now', clientId, advice };
  }
  // CometD maxSessionsPerBrowser: extra tabs of one browser short-poll instead of holding a connection
  // each (HTTP/1.1 allows few connections per host).
  if (ctx.browserId !== undefined && options.maxSessionsPerBrowser >= 0 && ctx.transport !== 'websocket') {
    if (core.connections.heldForBrowser(ctx.browserId, clientId) >= options.maxSessionsPerBrowser) {
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
  return { kind: 'hold', clientId, advice, timeoutMs };
}

/** Encodes the connect reply and the queued messages that ride it: `[...queued, reply]`. */
export async function answerConnect(
  core: Core,
  message: Message,
  ctx: BatchContext,
  clientId: string,
  advice: Advice,
  carried: string[] = [],
  withQueue = true,
): Promise<string[]> {
  let queue = withQueue ? carried.concat(await core.engine.takeQueue(clientId)) : [];
  let reply = replyTo(message, { clientId, successful: true, advice });
  if (withQueue) {
    for (const hook of core.extensions.deliveryHooks())
      queue = hook.beforeConnectReply(clientId, queue, reply);
  }
  const out = await core.extensions.outgoing(reply, { ...ctx, clientId, request: message });
  // The reply left: expiry counts from now (Bayeux §4.2, CometD scheduleExpiration).
  await core.engine.ping(clientId);
  if (out === null) return queue;
  reply = out;
  queue.push(JSON.stringify(reply));
  return queue;
}

/** The reply for a held connect whose client went away or whose server is closing. */
async function goneReply(
  core: Core,
  message: Message,
  ctx: BatchContext,
  reason: ReleaseReason,
  detail: DestroyReason | undefined,
): Promise<string[]> {
  let reply: Message;
  if (reason === 'destroyed' && detail === 'disconnect') {
    // Bayeux §4.4: the client asked to leave; do not come back on your own.
    reply = replyTo(message, { successful: true, advice: { reconnect: 'none', interval: -1 } });
  } else if (reason === 'closing' && !core.ownsEngine) {
    // A shared engine keeps the session: another node can carry on with it.
    reply = replyTo(message, {
      successful: true,
      advice: { reconnect: 'retry', interval: core.options.interval },
    });
  } else {
    reply = failure(message, errorString('sessionUnknown'), { advice: { ...HANDSHAKE_ADVICE } });
  }
  const out = await core.extensions.outgoing(reply, { ...ctx, request: message });
  return out === null ? [] : [JSON.stringify(out)];
}

/** Holds the connect; resolves with the encoded reply when released. */
export function holdConnect(
  core: Core,
  message: Message,
  ctx: BatchContext,
  decision: { clientId: string; advice: Advice; timeoutMs: number },
): Promise<string[]> {
  const { clientId, advice } = decision;
  // Messages taken from the queue right after the hold was registered (see below) ride the reply.
  const carried: string[] = [];
  let answered = false;
  // Messages taken but not sent (the hold ended another way meanwhile) go back to the engine queue.
  const putBack = (messages: string[]): void => {
    if (messages.length === 0) return;
    core.engine.deliver(clientId, messages).catch((err: unknown) => core.reportError(err));
  };
  const held = core.connections.hold({
    clientId,
    browserId: ctx.transport === 'websocket' ? undefined : ctx.browserId,
    timeoutMs: decision.timeoutMs,
    signal: ctx.signal,
    answer: async (reason, detail) => {
      answered = true;
      const mine = carried.splice(0);
      try {
        if (reason === 'destroyed' || reason === 'closing') {
          if (reason === 'closing') putBack(mine);
          return await goneReply(core, message, ctx, reason, detail);
        }
        if (reason === 'replaced') {
          // The replaced request may already be abandoned by the client: it carries no messages.
          putBack(mine);
          return await answerConnect(core, message, ctx, clientId, advice, [], false);
        }
        if (ctx.req?.socket?.destroyed === true) {
          // The peer's socket is already gone (reset), though the response's 'close' has not fired yet:
          // whatever this reply would carry could never arrive, so it waits for the next connect instead.
          putBack(mine);
          return await answerConnect(core, message, ctx, clientId, advice, [], false);
        }
        return await answerConnect(core, message, ctx, clientId, advice, mine);
      } catch (err) {
        core.reportError(err);
        return [JSON.stringify(failure(message, errorString('internalError')))];
      }
    },
  });
  // A publish may have been queued between the decision and the registration above, and its `wake` found
  // nothing held. Taking the queue now closes that gap: anything found is answered at once.
  core.engine.takeQueue(clientId).then(
    (queue) => {
      if (queue.length === 0) return;
      if (answered) {
        putBack(queue);
        return;
      }
      carried.push(...queue);
      core.connections.release(clientId, 'wake');
    },
    (err) => core.reportError(err),
  );
  return held;
}
