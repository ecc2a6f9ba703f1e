// The held /meta/connect (Bayeux §4.2), from start to answer, in one place. A connect the decision
// (connect.ts) chose to hold waits here until it is released: by its timer (`timeout`), by a wake (messages
// queued), by a newer connect of the same client, by its transport going away (HoldSignal), by the client
// being destroyed, or by server close. Whatever it took from the queue and could not send goes back to the
// HEAD of the queue (Engine.requeue), so nothing is lost or reordered. The answer (the connect reply and
// the messages riding it) is built here too, for held and immediate connects alike.

import { IncomingMessage } from 'node:http';
import type { Advice, Message } from '@pushwire/bayeux';
import { errorString } from '@pushwire/bayeux';
import { BROWSER_HOLD_SLACK_MS } from './connect.js';
import type { BatchContext, Core, HeldReplySink } from './core.js';
import { failure, HANDSHAKE_ADVICE, replyTo } from './core.js';
import type { DestroyReason } from './engine/engine.js';
import type { HeldEntry, ReleaseReason } from './held-connects.js';
import type { Expiring, TimerNode } from './hold-timers.js';
import { replyContext } from './message-context.js';
import type { HoldListener } from './transports/close-signal.js';

/** What a connect reply is built from: the request and what the decision said. */

export interface ConnectRequest {
  readonly message: Message;
  readonly ctx: BatchContext;
  readonly clientId: string;
  readonly advice: Advice;
}

/** A connect to hold: the request and the longest it may be held. */
export interface HoldInput extends ConnectRequest {
  readonly timeoutMs: number;
  /** The decision recorded its browser hold already (connect.ts, Engine.claimBrowserHold). */
  readonly browserClaimed?: boolean | undefined;
}

/** Holds the connect; resolves with the encoded reply (and what rides it) once released. */
export function holdConnect(core: Core, input: HoldInput): Promise<string[]> {
  return new Promise<string[]>((resolve) => {
    new HeldConnect(core, input, resolve).start(input.timeoutMs, input.browserClaimed === true);
  });
}

/**
 * Holds the connect and hands the reply to `sink` once released: no promise, resolving function or
 * reaction kept per held connect (over a WebSocket every idle client holds one all the time).
 */
export function holdConnectTo(core: Core, input: HoldInput, sink: HeldReplySink): void {
  sink.heldStarted();
  new HeldConnect(core, input, sink).start(input.timeoutMs, input.browserClaimed === true);
}

function deliverReply(target: ReplyTarget, messages: string[]): void {
  if (typeof target === 'function') target(messages);
  else target.heldReply(messages);
}

/** A promise's resolve function (HTTP), or a sink object (websocket). */
type ReplyTarget = ((messages: string[]) => void) | HeldReplySink;

/** The journal an extension asks takes for this client to keep (DeliveryHook.journal), if any. */
function journalOf(core: Core, clientId: string): string | undefined {
  for (const hook of core.extensions.deliveryHooks()) {
    const journal = hook.journal?.(clientId);
    if (journal !== undefined) return journal;
  }
  return undefined;
}

/** True when a delivery hook (the ack extension) sends this client's messages with connect replies only. */
export function connectOnly(core: Core, clientId: string): boolean {
  for (const hook of core.extensions.deliveryHooks()) if (hook.connectOnly(clientId)) return true;
  return false;
}

/**
 * The advice of a connect reply. The decision's advice may be shared by every held connect (connect.ts,
 * frozen): an outgoing extension may edit the reply, so it then gets a copy of its own.
 */
function replyAdvice(core: Core, request: ConnectRequest): Advice {
  return core.extensions.hasOutgoing ? { ...request.advice } : request.advice;
}

/**
 * The connect reply with the queued messages riding it: `[...carried, ...queued, reply]` (`carried`:
 * messages already taken from the queue, oldest first). At most maxReplyBytes of messages ride one reply
 * (a single larger message goes alone): a reply is never built larger than that, and what does not fit
 * stays queued, in order, for the next connect (issue 8: 600 x 1 MB queued made one 600 MB string, which
 * failed with "Invalid string length" and lost all of them).
 */
export async function answerWithQueue(
  core: Core,
  request: ConnectRequest,
  carried: readonly string[] = [],
): Promise<string[]> {
  const { clientId } = request;
  const { maxReplyBytes } = core.options;
  let queue: string[];
  const journal = journalOf(core, clientId);
  const { engine } = core;
  // The in-process engine's take answers now (no promise per reply); it throws where takeQueue rejects.
  if (carried.length === 0) {
    queue =
      engine.takeQueueSync !== undefined
        ? engine.takeQueueSync(clientId, maxReplyBytes, journal)
        : await engine.takeQueue(clientId, maxReplyBytes, journal);
  } else {
    let budget = maxReplyBytes;
    for (const m of carried) budget -= Buffer.byteLength(m);
    queue = [...carried];
    if (budget > 0) {
      const more =
        engine.takeQueueSync !== undefined
          ? engine.takeQueueSync(clientId, budget, journal)
          : await engine.takeQueue(clientId, budget, journal);
      // The engine takes at least one: one larger than what is left waits for the next connect.
      if (more.length === 1 && Buffer.byteLength(more[0] as string) > budget) {
        await core.engine.requeue(clientId, more);
      } else queue.push(...more);
    }
  }
  // Until the response is written these are in flight (taken-messages.ts). A connect-only hook (the ack
  // extension) keeps what it sends unacknowledged and sends it again itself: giving it back would double it.
  if (!connectOnly(core, clientId)) request.ctx.taken?.record(clientId, queue);
  const reply = replyTo(request.message, { clientId, successful: true, advice: replyAdvice(core, request) });
  for (const hook of core.extensions.deliveryHooks()) queue = hook.beforeConnectReply(clientId, queue, reply);
  return finishReply(core, request, reply, queue);
}

/**
 * answerWithQueue at once, for the usual held connect: nothing carried, an in-process engine that takes
 * synchronously (Engine.takeQueueSync), and no outgoing extension nor delivery hook that could see or
 * change the reply. The same steps in the same order (take, record, reply, ping), without the three async
 * functions, their promises and their turns of the microtask queue per reply (issue 13). The ping is not
 * awaited: an in-process engine applies it as it is called; a failure is reported (the take before it
 * would have failed first on a closed engine). Undefined when the async path must run; throws where the
 * take throws.
 */
export function answerWithQueueNow(core: Core, request: ConnectRequest): string[] | undefined {
  const { engine, extensions } = core;
  if (engine.takeQueueSync === undefined || extensions.hasOutgoing || extensions.deliveryHooks().length > 0)
    return undefined;
  const { clientId } = request;
  const queue = engine.takeQueueSync(clientId, core.options.maxReplyBytes, undefined);
  request.ctx.taken?.record(clientId, queue);
  const reply = replyTo(request.message, { clientId, successful: true, advice: request.advice });
  // The reply leaves now: expiry counts from now (Bayeux §4.2, CometD scheduleExpiration).
  engine.ping(clientId).catch(core.reportError);
  queue.push(JSON.stringify(reply));
  return queue;
}

/**
 * The connect reply alone: the request was replaced, or its peer is already gone, so whatever it would
 * carry could never arrive; the queue waits for the next connect.
 */
export async function answerAlone(core: Core, request: ConnectRequest): Promise<string[]> {
  const { clientId } = request;
  const reply = replyTo(request.message, { clientId, successful: true, advice: replyAdvice(core, request) });
  return finishReply(core, request, reply, []);
}

async function finishReply(
  core: Core,
  request: ConnectRequest,
  reply: Message,
  queue: string[],
): Promise<string[]> {
  const out = core.extensions.hasOutgoing
    ? await core.extensions.outgoing(reply, replyContext(request.ctx, request.message, request.clientId))
    : reply;
  // The reply left: expiry counts from now (Bayeux §4.2, CometD scheduleExpiration).
  await core.engine.ping(request.clientId);
  if (out !== null) queue.push(JSON.stringify(out));
  return queue;
}

/** The reply for a held connect whose client went away or whose server is closing. */
async function goneReply(
  core: Core,
  request: ConnectRequest,
  reason: 'destroyed' | 'closing',
  detail: DestroyReason | undefined,
): Promise<string[]> {
  const { message } = request;
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
  const out = core.extensions.hasOutgoing
    ? await core.extensions.outgoing(reply, replyContext(request.ctx, message))
    : reply;
  return out === null ? [] : [JSON.stringify(out)];
}

/**
 * An HTTP peer whose socket is already gone (reset; the response's 'close' has not fired yet). Over a
 * WebSocket `req` is the upgrade's RequestInfo, not a request: the session's CloseSignal says it instead.
 */
function peerGone(ctx: BatchContext): boolean {
  const { req } = ctx;
  return req instanceof IncomingMessage && req.socket?.destroyed === true;
}

/** HeldConnect flags. The answer has read #carried: a later catch-up result goes back to the queue. */
const CONSUMED = 1;
const RELEASED = 2;
/** A wake re-armed the timer for the delivery window: later wakes ride it. */
const WAKING = 4;

/**
 * One held connect. A class rather than closures: an idle client holds a connect all the time, so what a
 * hold allocates is paid per connected client. It is its own abort listener (`handleEvent`, DOM
 * EventListener objects), its deadline is a 40-byte node in a shared list (hold-timers.ts), and it is the
 * ConnectRequest its reply is built from.
 */
export class HeldConnect implements HeldEntry, HoldListener, ConnectRequest, Expiring {
  readonly message: Message;
  readonly ctx: BatchContext;
  readonly clientId: string;
  readonly advice: Advice;
  readonly #core: Core;
  readonly #target: ReplyTarget;
  #timer: TimerNode | undefined;
  /** Messages the catch-up take found: they ride the reply (ahead of anything taken later). */
  #carried: string[] | undefined;
  /**
   * The catch-up take of start(). The answer waits for it: with an engine whose takes are real I/O
   * (Redis), a wake may release the hold while it is in flight, and the answer's own take would then
   * send NEWER messages first while the older ones went back to the queue (on a channel with history
   * the client drops a message older than one it saw: a loss).
   */
  #catchUp: Promise<void> | undefined;
  /** CONSUMED | RELEASED | WAKING, in one field (a held connect is kept per idle client). */
  #flags = 0;

  constructor(core: Core, request: ConnectRequest, target: ReplyTarget) {
    this.message = request.message;
    this.ctx = request.ctx;
    this.clientId = request.clientId;
    this.advice = request.advice;
    this.#core = core;
    this.#target = target;
  }

  /** Per-browser counts apply to the HTTP transports only (a WebSocket holds no extra HTTP connection). */
  get browserId(): string | undefined {
    return this.ctx.transport === 'websocket' ? undefined : this.ctx.browserId;
  }

  /** `browserClaimed`: the decision recorded this connect's browser hold already (one engine call less). */
  start(timeoutMs: number, browserClaimed = false): void {
    const core = this.#core;
    // Bayeux §4.2: one outstanding connect per client; the registry releases the older one as 'replaced'.
    core.held.add(this);
    const browserId = this.browserId;
    if (browserId !== undefined && !browserClaimed) {
      // Counted over every node until released; the deadline (hold + a second) covers a node dying here.
      core.engine
        .setBrowserHold(browserId, this.clientId, Date.now() + timeoutMs + BROWSER_HOLD_SLACK_MS)
        .catch(core.reportError);
    }
    this.#timer = core.held.timers.arm(timeoutMs, this);
    const { signal } = this.ctx;
    // A closed request must not take the queue with it (the messages would be written to nobody).
    if (signal?.aborted === true) queueMicrotask(() => this.release('replaced'));
    else signal?.addEventListener('abort', this, { once: true });
    // A publish may have been queued between the decision and the registration above, and its `wake` found
    // nothing held. Taking the queue now closes that gap: anything found is answered at once.
    const { engine } = core;
    const journal = journalOf(core, this.clientId);
    if (engine.takeQueueSync !== undefined) {
      // An in-process engine answers now: no promise and no reaction kept per hold (issue 13).
      let queue: string[];
      try {
        queue = engine.takeQueueSync(this.clientId, core.options.maxReplyBytes, journal);
      } catch (err) {
        core.reportError(err);
        return;
      }
      this.#caughtUp(queue);
      return;
    }
    this.#catchUp = engine.takeQueue(this.clientId, core.options.maxReplyBytes, journal).then(
      (queue) => this.#caughtUp(queue),
      (err: unknown) => {
        this.#catchUp = undefined;
        core.reportError(err);
      },
    );
  }

  /**
   * Messages were queued. With a delivery window the hold's one timer is re-armed to the window (no second
   * timer per client): what is published meanwhile is taken by the same answer.
   */
  wake(windowMs: number): void {
    if ((this.#flags & (RELEASED | WAKING)) !== 0) return;
    if (windowMs <= 0) {
      this.release('wake');
      return;
    }
    this.#flags |= WAKING;
    const { timers } = this.#core.held;
    timers.cancel(this.#timer);
    this.#timer = timers.arm(windowMs, this);
  }

  /** Its timer ran out: the hold's timeout, or the delivery window after a wake. */
  deadlineReached(): void {
    this.#timer = undefined;
    this.release((this.#flags & WAKING) !== 0 ? 'wake' : 'timeout');
  }

  /** The HoldSignal fired: the transport went away. */
  handleEvent(): void {
    this.release('replaced');
  }

  release(reason: ReleaseReason, detail?: DestroyReason): void {
    if ((this.#flags & RELEASED) !== 0) return;
    this.#flags |= RELEASED;
    this.#core.held.timers.cancel(this.#timer);
    this.#timer = undefined;
    this.ctx.signal?.removeEventListener('abort', this);
    this.#core.held.forget(this);
    const browserId = this.browserId;
    if (browserId !== undefined) {
      const core = this.#core;
      core.engine.setBrowserHold(browserId, this.clientId, undefined).catch(core.reportError);
    }
    const target = this.#target;
    const now = this.#answerNow(reason);
    if (now !== undefined) {
      deliverReply(target, now);
      return;
    }
    this.#answer(reason, detail).then(
      (messages) => deliverReply(target, messages),
      () => deliverReply(target, []),
    );
  }

  /**
   * The answer of a wake or a timeout built at once (answerWithQueueNow), when it would take the queue
   * with nothing to wait for and nothing carried; undefined when #answer must run.
   */
  #answerNow(reason: ReleaseReason): string[] | undefined {
    if (reason !== 'wake' && reason !== 'timeout') return undefined;
    if (this.#catchUp !== undefined || this.#carried !== undefined || peerGone(this.ctx)) return undefined;
    const core = this.#core;
    try {
      const messages = answerWithQueueNow(core, this);
      if (messages !== undefined) this.#flags |= CONSUMED;
      return messages;
    } catch (err) {
      this.#flags |= CONSUMED;
      core.reportError(err);
      return [JSON.stringify(failure(this.message, errorString('internalError')))];
    }
  }

  #caughtUp(queue: string[]): void {
    // Settled: an idle hold keeps no promise (the answer awaits it only while the take is in flight).
    this.#catchUp = undefined;
    if (queue.length === 0) return;
    if ((this.#flags & CONSUMED) !== 0) {
      this.#putBack(queue); // answered without it: nothing newer was sent, so the head keeps the order
      return;
    }
    // Not answered yet (or the answer waits for this take): it rides the reply, oldest first.
    this.#carried = queue;
    this.release('wake');
  }

  /** Never rejects: a failure becomes an internalError reply. */
  async #answer(reason: ReleaseReason, detail: DestroyReason | undefined): Promise<string[]> {
    const core = this.#core;
    // Only an answer that takes the queue itself must wait for the catch-up take (see #catchUp); the
    // others answer at once and a late catch-up puts back what it found.
    const takes = !(
      reason === 'destroyed' ||
      reason === 'closing' ||
      reason === 'replaced' ||
      peerGone(this.ctx)
    );
    // (Nothing to wait for, the usual case, costs no turn of the microtask queue.)
    if (takes && this.#catchUp !== undefined) await this.#catchUp;
    const mine = this.#carried ?? [];
    this.#carried = undefined;
    this.#flags |= CONSUMED;
    try {
      if (reason === 'destroyed') return await goneReply(core, this, reason, detail);
      if (reason === 'closing') {
        this.#putBack(mine);
        return await goneReply(core, this, reason, detail);
      }
      // A replaced request may already be abandoned by the client: it carries no messages. A peer whose
      // socket is already gone (reset; the response's 'close' has not fired yet) could not receive them.
      if (reason === 'replaced' || peerGone(this.ctx)) {
        this.#putBack(mine);
        return await answerAlone(core, this);
      }
      return await answerWithQueue(core, this, mine);
    } catch (err) {
      core.reportError(err);
      return [JSON.stringify(failure(this.message, errorString('internalError')))];
    }
  }

  /** Messages taken but not sent go back to the HEAD of the queue, in order (Engine.requeue). */
  #putBack(messages: string[]): void {
    if (messages.length === 0) return;
    const core = this.#core;
    core.engine.requeue(this.clientId, messages).catch((err: unknown) => core.reportError(err));
  }
}
