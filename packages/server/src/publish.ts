// Publishing (Bayeux §5): from a remote client or from server code. The channel grammar is enforced (no
// wildcard publish, no /meta/), `data` is required, the security policy is asked, the broadcast copy goes
// through the outgoing extensions ONCE and is encoded ONCE (DESIGN.md "Encode once"), and it never carries
// the publisher's clientId or id (Bayeux ref C §3.5: that would allow impersonation).

import type { Message } from '@pushwire/bayeux';
import { errorString, isMetaChannel, isServiceChannel, isTooDeep, presenceBaseOf } from '@pushwire/bayeux';
import { validChannels } from './channel-cache.js';
import type { BatchContext, Core } from './core.js';
import { failure, replyTo } from './core.js';
import { positionTemplate } from './history.js';
import { messageContext } from './message-context.js';
import { knownClient, unknownClient } from './meta-handlers.js';
import type { RequestContext } from './options.js';

/** Builds the copy subscribers get: channel, data, ext (so CometD's binary extension works), nothing else. */
function broadcastCopy(message: Message): Message {
  const copy: Message = { channel: message.channel, data: message.data };
  if (message.ext !== undefined) copy.ext = message.ext;
  // `ext.history` positions are assigned by the engine, never taken from a publisher (issue 9).
  if (copy.ext !== null && typeof copy.ext === 'object' && 'history' in copy.ext) {
    const { history: _forged, ...rest } = copy.ext;
    copy.ext = rest;
  }
  if (typeof message.timestamp === 'string') copy.timestamp = message.timestamp;
  return copy;
}

/** Runs the outgoing pipeline on the copy, encodes it once and hands it to the engine. */
async function broadcast(core: Core, copy: Message, ctx: RequestContext): Promise<number> {
  const out = core.extensions.hasOutgoing ? await core.extensions.outgoing(copy, ctx) : copy;
  if (out === null) return 0;
  const limits = core.features.history(out.channel);
  // The engine assigns the position as it stores the message (issue 9): one text for history and queues.
  if (limits !== undefined)
    return (await core.engine.publishHistory(out, positionTemplate(out), limits)).count;
  return core.engine.publish(out, JSON.stringify(out));
}

/** A publish from a remote client; `message` already went through the incoming extensions. */
export async function handlePublish(core: Core, message: Message, ctx: BatchContext): Promise<Message> {
  const clientId = await knownClient(core, message);
  // CometD refuses unconnected publishes (reference §1.5); Bayeux §1.4.8 lets us, as long as we answer.
  if (clientId === undefined) return unknownClient(message);
  const channel = message.channel;
  const { validation, maxChannelSegments } = core.options;
  // Checked again here: an incoming extension may have renamed the channel after validation.
  if (isTooDeep(channel, validation.channel))
    return failure(message, errorString('channelTooDeep', String(maxChannelSegments)));
  if (!validChannels.get(channel) || isMetaChannel(channel))
    return failure(message, errorString('channelInvalid'));
  if (!('data' in message) || message.data === undefined) {
    return failure(message, errorString('fieldMissing', 'data'));
  }
  const policy = core.options.securityPolicy.canPublish;
  if (policy && !(await policy(clientId, channel, message, ctx))) {
    return failure(message, errorString('publishDenied', 'denied_by_security_policy'));
  }
  // Presence events are the server's: a client must not forge a join or a leave.
  if (presenceBaseOf(channel) !== undefined) {
    return failure(message, errorString('publishDenied', 'presence_channel'));
  }
  // No authorizer registered (the usual case): no request object, no promise and no await per publish.
  if (core.authorizers.size > 0) {
    const denial = await core.authorizers.check({ operation: 'publish', clientId, channel, message, ctx });
    if (denial !== undefined) return failure(message, errorString('publishDenied', denial));
  }
  if (isServiceChannel(channel)) {
    const handler = core.services.get(channel);
    if (!handler) return replyTo(message, { successful: true });
    try {
      const result = await handler(message.data, { ...ctx, clientId, channel, message });
      // The direct delivery CometD's remoteCall() matches on: same channel, same id, with data.
      return replyTo(message, { successful: true, data: result ?? null });
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      return failure(message, errorString('serviceFailed'), { data: { message: text } });
    }
  }
  await broadcast(core, broadcastCopy(message), messageContext(ctx, clientId));
  // The event record is built only when someone listens (a listener or a diagnostics subscriber).
  if (core.events.listens('publish')) core.events.emit('publish', { clientId, channel, data: message.data });
  return replyTo(message, { successful: true });
}

/**
 * `bayeux.publish(channel, data)` from server code, or a publish of an in-process session (its `clientId`,
 * local-session.ts); resolves with the number of clients reached. The `publish` event fires for both.
 */
export async function publishFromServer(
  core: Core,
  channel: string,
  data: unknown,
  clientId?: string,
): Promise<number> {
  if (typeof channel === 'string' && isTooDeep(channel, core.options.validation.channel)) {
    throw new TypeError(
      `pushwire: cannot publish to '${channel}': more than ${core.options.maxChannelSegments} segments`,
    );
  }
  if (!validChannels.get(channel) || isMetaChannel(channel) || isServiceChannel(channel)) {
    throw new TypeError(`pushwire: cannot publish to '${channel}' (a concrete broadcast channel is needed)`);
  }
  if (data === undefined) throw new TypeError('pushwire: publish needs data (Bayeux §3.10)');
  const ctx =
    clientId === undefined ? { transport: 'local' as const } : { transport: 'local' as const, clientId };
  const count = await broadcast(core, { channel, data }, ctx);
  core.events.emit('publish', { clientId, channel, data });
  return count;
}
