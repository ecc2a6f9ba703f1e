// Processes one batch (one HTTP request, one WebSocket frame): incoming extensions, exact meta routing,
// publish, outgoing extensions, encoding. Meta routing is a Map of the five exact channels: any other
// `/meta/` channel is refused, never prefix-matched (Faye CVE-2020-11020).

import type { Message } from '@pushwire/bayeux';
import { errorString, failureReply, isMetaChannel, META, validateMessage } from '@pushwire/bayeux';
import type { ConnectDecision } from './connect.js';
import { decideConnect } from './connect.js';
import type { BatchContext, Core } from './core.js';
import { clientIdOf, failure } from './core.js';
import { answerWithQueue, answerWithQueueNow, holdConnect, holdConnectTo } from './hold.js';
import { messageContext, replyContext } from './message-context.js';
import { disconnect, handshake, subscribe, unsubscribe } from './meta-handlers.js';
import { handlePublish } from './publish.js';

export interface BatchOutcome {
  /** Encoded messages to send now (replies, and queued messages riding an immediate connect reply). */
  messages: string[];
  /** Present when a connect is held: resolves with the encoded connect reply and what rides it. */
  held?: Promise<string[]>;
}

type Handler = (core: Core, message: Message, ctx: BatchContext) => Promise<Message>;

const META_HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  [META.handshake, handshake],
  [META.disconnect, (core, message) => disconnect(core, message)],
  [META.subscribe, subscribe],
  [META.unsubscribe, (core, message) => unsubscribe(core, message)],
]);

/**
 * Processes `messages` (already parsed, each a plain object). A handshake travels alone: when the batch
 * holds one, the other messages are ignored (Bayeux §4.1). A connect is held only when it is alone in the
 * batch (CometD `canSuspend`); otherwise it is answered at once, after the other messages, so messages
 * they caused (a publish to one's own channel) ride its reply.
 */
export async function processBatch(
  core: Core,
  messages: Message[],
  ctx: BatchContext,
): Promise<BatchOutcome> {
  const hs = handshakeOf(messages);
  const batch = hs !== undefined ? [hs] : messages;
  const out: string[] = [];
  let pendingConnect: { message: Message; decision: ConnectDecision; ctx: BatchContext } | undefined;
  for (const raw of batch) {
    // Field validation first (CometD pipeline step 1): a bad message gets its own unsuccessful reply,
    // the others in the batch go on.
    const check = validateMessage(raw, core.options.validation);
    if (!check.ok) {
      out.push(JSON.stringify(failureReply(check)));
      continue;
    }
    const msgCtx = messageContext(ctx, clientIdOf(raw));
    let reply: Message;
    let request: Message = raw;
    try {
      // No incoming hook: no pipeline run, no await per message.
      const incoming = core.extensions.hasIncoming ? await core.extensions.incoming(raw, msgCtx) : raw;
      if (incoming === null) {
        reply = failure(raw, errorString('messageDeleted'));
      } else {
        request = incoming;
        const channel = request.channel;
        if (channel === META.connect) {
          const decision = await decideConnect(core, request, msgCtx, batch.length === 1);
          if (decision.kind !== 'reply') {
            // The last connect of a batch wins (one outstanding connect per client, §4.2).
            pendingConnect = { message: request, decision, ctx: msgCtx };
            continue;
          }
          reply = decision.reply;
        } else {
          const handler = META_HANDLERS.get(channel);
          if (handler !== undefined) reply = await handler(core, request, msgCtx);
          else if (isMetaChannel(channel)) reply = failure(request, errorString('channelInvalid'));
          else reply = await handlePublish(core, request, msgCtx);
        }
      }
    } catch (err) {
      core.reportError(err);
      reply = failure(raw, errorString('internalError'));
    }
    const sent = core.extensions.hasOutgoing
      ? await encodeReply(core, reply, request, msgCtx)
      : JSON.stringify(reply);
    if (sent !== undefined) out.push(sent);
  }
  if (pendingConnect === undefined) return { messages: out };
  const { message, decision, ctx: connectCtx } = pendingConnect;
  try {
    if (decision.kind === 'hold') {
      const { clientId, advice, timeoutMs, browserClaimed } = decision;
      const input = { message, ctx: connectCtx, clientId, advice, timeoutMs, browserClaimed };
      const sink = connectCtx.replies;
      if (sink !== undefined) {
        holdConnectTo(core, input, sink);
        return { messages: out };
      }
      return { messages: out, held: holdConnect(core, input) };
    }
    if (decision.kind === 'now') {
      const { clientId, advice } = decision;
      // This connect is the current one (Bayeux §4.2: one outstanding connect per client): an older held
      // connect is answered now, not left to reach its timeout or take the next message.
      core.held.release(clientId, 'replaced');
      const request = { message, ctx: connectCtx, clientId, advice };
      // Built at once when nothing in it can wait (answerWithQueueNow): short polling answers every connect.
      out.push(...(answerWithQueueNow(core, request) ?? (await answerWithQueue(core, request))));
    }
  } catch (err) {
    core.reportError(err);
    out.push(JSON.stringify(failure(message, errorString('internalError'))));
  }
  return { messages: out };
}

/** The batch's handshake, if any: a plain loop (a find() callback is one more function per batch). */
function handshakeOf(messages: readonly Message[]): Message | undefined {
  for (const m of messages) if (m.channel === META.handshake) return m;
  return undefined;
}

async function encodeReply(
  core: Core,
  reply: Message,
  request: Message,
  ctx: BatchContext,
): Promise<string | undefined> {
  try {
    const out = await core.extensions.outgoing(reply, replyContext(ctx, request));
    return out === null ? undefined : JSON.stringify(out);
  } catch (err) {
    core.reportError(err);
    return JSON.stringify(failure(request, errorString('internalError')));
  }
}

/** Joins encoded messages into the JSON array every transport sends. */
export function encodeBatch(messages: readonly string[]): string {
  return `[${messages.join(',')}]`;
}
