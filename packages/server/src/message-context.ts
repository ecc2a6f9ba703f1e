// The context of ONE message of a batch, and of the outgoing pass of its reply, each built as ONE object
// literal with every BatchContext field in a fixed order. A spread (`{ ...ctx }`) followed by an added
// field (`clientId`) gave every copy its own hidden class in V8: a Map, a DescriptorArray and an
// out-of-object PropertyArray per copy (about 310 B beside the object), and a held /meta/connect keeps its
// copy for as long as it is held, which over a WebSocket is all the time (issue 13: heap per idle client).
// A literal of one shape shares one hidden class for every message, and is cheaper to build.

import type { Message } from '@pushwire/bayeux';
import type { BatchContext } from './core.js';
import type { OutgoingContext } from './extensions.js';

/**
 * A copy of the batch's context for one message, with the sender's client id (absent: the batch's).
 * Handlers may write the copy (a handshake records its new client id) without touching the batch's.
 */
export function messageContext(ctx: BatchContext, clientId: string | undefined): BatchContext {
  return {
    transport: ctx.transport,
    req: ctx.req,
    clientId: clientId ?? ctx.clientId,
    remoteAddress: ctx.remoteAddress,
    crossSite: ctx.crossSite,
    browserId: ctx.browserId,
    signal: ctx.signal,
    binder: ctx.binder,
    replies: ctx.replies,
    connection: ctx.connection,
    taken: ctx.taken,
  };
}

/** The context the outgoing extensions see for a reply: the message's context and the request it answers. */
export function replyContext(
  ctx: BatchContext,
  request: Message,
  clientId: string | undefined = ctx.clientId,
): BatchContext & OutgoingContext {
  return {
    transport: ctx.transport,
    req: ctx.req,
    clientId,
    remoteAddress: ctx.remoteAddress,
    crossSite: ctx.crossSite,
    browserId: ctx.browserId,
    signal: ctx.signal,
    binder: ctx.binder,
    replies: ctx.replies,
    connection: ctx.connection,
    taken: ctx.taken,
    request,
  };
}
