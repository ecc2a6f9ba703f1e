// Presence (issue 9): on a channel whose pattern has `presence`, every client subscribed to the exact
// channel is a member. Joins and leaves are broadcast on `/presence<channel>` through the engine (so every
// node's subscribers get them) with `data: {action: 'join' | 'leave', channel, member: {id, info}, count}`.
// A member is shown by a PUBLIC id, sha256 of its clientId: a Bayeux clientId is a bearer credential
// (whoever knows it can connect and take the client's messages), so it never goes to other clients.
// The query is the service `/service/presence` (CometD remoteCall, `client.presence()`).

import { createHash } from 'node:crypto';
import { isWildcard, type Message, PRESENCE_SERVICE, presenceChannelOf } from '@pushwire/bayeux';
import type { Core } from './core.js';
import type { PresenceMember } from './engine/engine.js';
import type { RequestContext } from './options.js';
import type { ServiceContext } from './services.js';

export { PRESENCE_SERVICE };

export type PresenceAction = 'join' | 'leave';

/** A member as other clients see it. */
export interface PublicMember {
  id: string;
  info: unknown;
}

/** The public id of a client: not reversible to its clientId, the same on every node. */
export function memberId(clientId: string): string {
  return createHash('sha256').update(clientId).digest('base64url').slice(0, 22);
}

function publicMember(member: PresenceMember): PublicMember {
  return { id: memberId(member.clientId), info: JSON.parse(member.info) as unknown };
}

/** Broadcasts one join or leave on `/presence<channel>` (through the outgoing extensions, encoded once). */
export async function announcePresence(
  core: Core,
  channel: string,
  action: PresenceAction,
  member: PresenceMember,
  count: number,
): Promise<void> {
  const message: Message = {
    channel: presenceChannelOf(channel),
    data: { action, channel, member: publicMember(member), count },
  };
  const ctx: RequestContext = { transport: 'local' };
  const out = await core.extensions.outgoing(message, ctx);
  if (out === null) return;
  await core.engine.publish(out, JSON.stringify(out));
}

/**
 * Makes `clientId` a member of `channel`'s presence after it subscribed there, and announces the join when
 * it is new. Remote clients (/meta/subscribe) and local sessions both come here, so a member is one thing
 * whatever it is. Only exact channels with presence have members (a wildcard is not a room).
 */
export async function joinPresence(core: Core, channel: string, clientId: string): Promise<void> {
  if (isWildcard(channel) || core.features.presence(channel) === undefined) return;
  const change = await core.engine.presenceJoin(channel, clientId);
  if (change.changed && change.member !== undefined) {
    await announcePresence(core, channel, 'join', change.member, change.count);
  }
}

/** The counterpart of joinPresence after an unsubscribe: the leave is announced when it is real. */
export async function leavePresence(core: Core, channel: string, clientId: string): Promise<void> {
  if (isWildcard(channel) || core.features.presence(channel) === undefined) return;
  const change = await core.engine.presenceLeave(channel, clientId);
  if (change.changed && change.member !== undefined) {
    await announcePresence(core, channel, 'leave', change.member, change.count);
  }
}

export interface PresenceQueryResult {
  channel: string;
  count: number;
  /** Absent past the channel's maxMembers (large rooms: the count only). */
  members?: PublicMember[];
}

/** `bayeux.presence(channel)`: members with their real clientId (server code is trusted). */
export async function presenceOf(
  core: Core,
  channel: string,
  maxMembers?: number,
): Promise<{ channel: string; count: number; members?: Array<PublicMember & { clientId: string }> }> {
  const limits = core.features.presence(channel);
  if (limits === undefined) throw new TypeError(`pushwire: presence is not tracked on '${channel}'`);
  const snapshot = await core.engine.presence(channel, maxMembers ?? limits.maxMembers);
  const out: { channel: string; count: number; members?: Array<PublicMember & { clientId: string }> } = {
    channel,
    count: snapshot.count,
  };
  if (snapshot.members !== undefined) {
    out.members = snapshot.members.map((m) => ({ clientId: m.clientId, ...publicMember(m) }));
  }
  return out;
}

/**
 * The `/service/presence` handler: `data = {channel, members?: boolean}`. Whoever may subscribe to the
 * channel may ask (the security policy and the authorizers are asked as for a subscribe); the answer
 * carries public member ids only. A refusal throws, which the service path turns into `500::service_failed`
 * with the message.
 */
export function presenceService(core: Core) {
  return async (data: unknown, ctx: ServiceContext): Promise<PresenceQueryResult> => {
    const request = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {};
    const channel = request.channel;
    if (typeof channel !== 'string' || core.features.presence(channel) === undefined) {
      throw new Error('presence is not tracked on that channel');
    }
    const policy = core.options.securityPolicy.canSubscribe;
    if (policy && !(await policy(ctx.clientId, channel, ctx.message, ctx)))
      throw new Error('presence denied');
    const denial = await core.authorizers.check({
      operation: 'subscribe',
      clientId: ctx.clientId,
      channel,
      message: ctx.message,
      ctx,
    });
    if (denial !== undefined) throw new Error('presence denied');
    const limits = core.features.presence(channel)!;
    const snapshot = await core.engine.presence(channel, request.members === false ? 0 : limits.maxMembers);
    const out: PresenceQueryResult = { channel, count: snapshot.count };
    if (snapshot.members !== undefined && request.members !== false)
      out.members = snapshot.members.map(publicMember);
    return out;
  };
}
