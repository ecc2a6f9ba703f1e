// The /meta/handshake, /meta/disconnect, /meta/subscribe and /meta/unsubscribe handlers (Bayeux §4.1,
// §4.4-4.6). /meta/connect lives in connect.ts. Routing to these is EXACT (dispatcher.ts).

import type { Message } from '@pushwire/bayeux';
import {
  BAYEUX_VERSION,
  compareVersions,
  errorString,
  isMetaChannel,
  isServiceChannel,
  isValidPattern,
  isWildcard,
  presenceBaseOf,
} from '@pushwire/bayeux';
import { ADDRESS_FULL_ADVICE, FULL_ADVICE, type HandshakeRefusal, RATE_ADVICE } from './admission.js';
import type { BatchContext, Core } from './core.js';
import { clientIdOf, FIRST_CONNECT_STATE, failure, HANDSHAKE_ADVICE, replyTo } from './core.js';
import type { HistoryQuery, HistoryRead } from './engine/engine.js';
import { recoveryExt, recoveryQuery } from './history.js';
import { joinPresence, leavePresence } from './presence.js';
import { exceedsSubscriptionBytes } from './subscription-bytes.js';

/** Bayeux §4.1. */
export async function handshake(core: Core, message: Message, ctx: BatchContext): Promise<Message> {
  const { options } = core;
  if (core.closing) {
    // The node is going away: send the client to try again (behind a balancer it lands elsewhere).
    return failure(message, errorString('handshakeFailed'), {
      advice: { reconnect: 'handshake', interval: 1000 },
    });
  }
  if (typeof message.version !== 'string') {
    return failure(message, errorString('fieldMissing', 'version'), { version: BAYEUX_VERSION });
  }
  // §3.3: the client's minimumVersion is the oldest it understands; we speak 1.0 only.
  if (
    (typeof message.minimumVersion === 'string' &&
      compareVersions(message.minimumVersion, BAYEUX_VERSION) > 0) ||
    compareVersions(message.version, BAYEUX_VERSION) < 0
  ) {
    return failure(message, errorString('versionMismatch', BAYEUX_VERSION), {
      version: BAYEUX_VERSION,
      advice: { reconnect: 'none' },
    });
  }
  const offered = message.supportedConnectionTypes;
  if (!Array.isArray(offered) || offered.length === 0) {
    return failure(message, errorString('fieldMissing', 'supportedConnectionTypes'), {
      version: BAYEUX_VERSION,
      supportedConnectionTypes: [...options.transports],
    });
  }
  // §4.1.2: the reply's types MUST share at least one with the request; we give the intersection in
  // server order (Faye also offers types we do not serve, like eventsource).
  const common = options.transports.filter((t) => offered.includes(t));
  if (common.length === 0) {
    return failure(message, errorString('connectionTypesNotSupported', ...options.transports), {
      version: BAYEUX_VERSION,
      supportedConnectionTypes: [...options.transports],
      advice: { reconnect: 'none' },
    });
  }
  // Limits before the policy: a flood must not reach a policy that may be costly (a database, a token check).
  const address = ctx.remoteAddress ?? 'local';
  let refusal = core.admission.admitHandshake(ctx.connection, address, Date.now());
  if (refusal?.kind === 'sessions')
    refusal = await core.admission.settleSessions(address, (id) => core.engine.clientExists(id));
  if (refusal !== undefined) return refusedHandshake(message, refusal);
  let clientId: string;
  try {
    // The total is the engine's (every node's with a shared engine).
    if ((await core.engine.clientCount()) >= options.maxSessions) {
      core.admission.cancelReservation(address);
      core.admission.refusedFull(address);
      return failure(message, errorString('sessionsExceeded', 'server', String(options.maxSessions)), {
        version: BAYEUX_VERSION,
        advice: { ...FULL_ADVICE },
      });
    }
    const policy = options.securityPolicy.canHandshake;
    if (policy && !(await policy(message, ctx))) {
      core.admission.cancelReservation(address);
      return failure(message, errorString('handshakeDenied'), { advice: { reconnect: 'none' } });
    }
    let info: string | undefined;
    if (options.presenceInfo !== undefined) {
      info = JSON.stringify((await options.presenceInfo(message, ctx)) ?? null);
      // Bytes, not characters: the info is stored with the session and sent in every presence answer.
      if (Buffer.byteLength(info) > options.maxPresenceInfoBytes) {
        core.admission.cancelReservation(address);
        return failure(message, errorString('fieldInvalid', 'presence_info'), {
          advice: { reconnect: 'none' },
        });
      }
    }
    clientId = await core.engine.createClient(info === undefined ? undefined : { info });
  } catch (err) {
    core.admission.cancelReservation(address);
    throw err;
  }
  core.admission.sessionCreated(clientId, address);
  await core.engine.setClientState(clientId, FIRST_CONNECT_STATE, '1');
  ctx.clientId = clientId;
  ctx.binder?.bindClient(clientId);
  core.events.emit('handshake', { clientId });
  return replyTo(message, {
    version: BAYEUX_VERSION,
    minimumVersion: BAYEUX_VERSION,
    supportedConnectionTypes: common,
    clientId,
    successful: true,
    advice: { reconnect: 'retry', interval: options.interval, timeout: options.timeout },
  });
}

/** The reply to a handshake past a rate limit (back off) or the per-address session cap (stop). */
function refusedHandshake(message: Message, refusal: HandshakeRefusal): Message {
  const limit = String(refusal.limit);
  if (refusal.kind === 'rate') {
    return failure(message, errorString('handshakeRateExceeded', refusal.scope, limit), {
      version: BAYEUX_VERSION,
      advice: { ...RATE_ADVICE },
    });
  }
  return failure(message, errorString('sessionsExceeded', refusal.scope, limit), {
    version: BAYEUX_VERSION,
    advice: { ...ADDRESS_FULL_ADVICE },
  });
}

/** The reply for a message from an unknown, expired or disconnected client. */
export function unknownClient(message: Message): Message {
  return failure(message, errorString('sessionUnknown'), { advice: { ...HANDSHAKE_ADVICE } });
}

/** Resolves the sender, or undefined when it is not a live client here or in the shared engine. */
export async function knownClient(core: Core, message: Message): Promise<string | undefined> {
  const clientId = clientIdOf(message);
  if (clientId === undefined) return undefined;
  return (await core.engine.clientExists(clientId)) ? clientId : undefined;
}

/** Bayeux §4.4: release the held connect and forget the client. */
export async function disconnect(core: Core, message: Message): Promise<Message> {
  const clientId = await knownClient(core, message);
  if (clientId === undefined) return unknownClient(message);
  // The engine tells the sink `destroyed`, which answers the held connect and emits the event.
  await core.engine.destroyClient(clientId, 'disconnect');
  return replyTo(message, { clientId, successful: true });
}

/** Reads `subscription` (one name or a non-empty array); undefined when missing or of the wrong type. */
function subscriptionsOf(message: Message): string[] | undefined {
  const s = message.subscription;
  if (typeof s === 'string') return [s];
  if (Array.isArray(s) && s.length > 0 && s.every((x) => typeof x === 'string')) return s;
  return undefined;
}

/** Bayeux §4.5. Validation and policy for every entry first, so an array subscribes all or nothing. */
export async function subscribe(core: Core, message: Message, ctx: BatchContext): Promise<Message> {
  const clientId = await knownClient(core, message);
  if (clientId === undefined) return unknownClient(message);
  const subscription = message.subscription;
  const list = subscriptionsOf(message);
  if (list === undefined) return failure(message, errorString('subscriptionMissing'), { subscription });
  for (const pattern of list) {
    if (!isValidPattern(pattern, core.options.validation.channel)) {
      return failure(message, errorString('subscriptionInvalid'), { subscription });
    }
    // Bayeux §2.2.2: remote clients may not subscribe to /meta/**. (`/**` is fine: meta messages are
    // never published through the engine, so it only ever matches broadcast channels.)
    if (isMetaChannel(pattern)) {
      return failure(message, errorString('subscribeDenied', 'meta_channel'), { subscription });
    }
    // `/presence<channel>` carries who joins and leaves `<channel>`: whoever may subscribe to it may watch
    // (both names are checked, so an app can also restrict /presence/** itself).
    const base = presenceBaseOf(pattern);
    for (const checked of base === undefined ? [pattern] : [pattern, base]) {
      const policy = core.options.securityPolicy.canSubscribe;
      if (policy && !(await policy(clientId, checked, message, ctx))) {
        return failure(message, errorString('subscribeDenied', 'denied_by_security_policy'), {
          subscription,
        });
      }
      const denial = await core.authorizers.check({
        operation: 'subscribe',
        clientId,
        channel: checked,
        message,
        ctx,
      });
      if (denial !== undefined)
        return failure(message, errorString('subscribeDenied', denial), { subscription });
    }
  }
  // Recovery (issue 9) is asked for one channel at a time: a subscription array gets none.
  const query = recoveryQuery(message);
  if (query === null) return failure(message, errorString('fieldInvalid', 'ext.recover'), { subscription });
  const single = list.length === 1 ? list[0] : undefined;
  let replyExt: Record<string, unknown> | undefined;
  // The event fires for real changes only (like Faye): a repeated subscription is acknowledged silently.
  const before = new Set(await core.engine.subscriptions(clientId));
  // Bytes as well as count (subscription-bytes.ts); /service/** names are not recorded, so not counted.
  const recorded = list.filter((p) => !isServiceChannel(p));
  const maxBytes = core.options.maxSubscriptionBytesPerClient;
  if (exceedsSubscriptionBytes(before, recorded, maxBytes)) {
    return failure(message, errorString('subscriptionsExceeded', 'bytes', String(maxBytes)), {
      subscription,
    });
  }
  for (const pattern of list) {
    // Bayeux §2.2.3: /service/** subscriptions succeed but are not recorded.
    if (isServiceChannel(pattern)) continue;
    const limits = isWildcard(pattern) ? undefined : core.features.history(pattern);
    let read: HistoryRead | undefined;
    let result: { ok: boolean; reason?: string };
    if (limits !== undefined) {
      const asked: HistoryQuery | undefined = pattern === single ? query : undefined;
      const r = await core.engine.subscribeHistory(clientId, pattern, asked, limits);
      result = r;
      read = r.read;
    } else result = await core.engine.subscribe(clientId, pattern);
    if (!result.ok) {
      if (result.reason === 'too-many-subscriptions') {
        return failure(
          message,
          errorString('subscriptionsExceeded', String(core.options.maxSubscriptionsPerClient)),
          {
            subscription,
          },
        );
      }
      return unknownClient(message);
    }
    if (pattern === single) {
      if (read !== undefined) replyExt = recoveryExt(query !== undefined, read);
      // A channel without history cannot recover: the app learns it must reload its state.
      else if (query !== undefined) replyExt = { recover: { recovered: false } };
    }
    await joinPresence(core, pattern, clientId);
    if (!before.has(pattern)) {
      before.add(pattern);
      core.events.emit('subscribe', { clientId, subscription: pattern });
    }
  }
  const reply = replyTo(message, { clientId, successful: true, subscription });
  if (replyExt !== undefined) reply.ext = replyExt;
  return reply;
}

/** Bayeux §4.6. */
export async function unsubscribe(core: Core, message: Message): Promise<Message> {
  const clientId = await knownClient(core, message);
  if (clientId === undefined) return unknownClient(message);
  const subscription = message.subscription;
  const list = subscriptionsOf(message);
  if (list === undefined) return failure(message, errorString('subscriptionMissing'), { subscription });
  for (const pattern of list) {
    if (!isValidPattern(pattern, core.options.validation.channel))
      return failure(message, errorString('subscriptionInvalid'), { subscription });
  }
  for (const pattern of list) {
    if (await core.engine.unsubscribe(clientId, pattern)) {
      await leavePresence(core, pattern, clientId);
      core.events.emit('unsubscribe', { clientId, subscription: pattern });
    }
  }
  return replyTo(message, { clientId, successful: true, subscription });
}
