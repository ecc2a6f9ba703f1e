// Chat rooms on the hub's own history and presence (issue 9), so every node of a cluster (a shared
// engine) gives the same answers: a room `<room>` is the channel `/chat/messages/<room>`, whose HISTORY
// holds the recent messages (bounded: chatRecent, chatRecentBytes) and whose PRESENCE is who is in the room
// (a member per session subscribed to it, with the info `{nick, technique}` given at its handshake, or by
// the raw chat for its local sessions). Joins and leaves are the server's `/presence/chat/messages/<room>`
// events. Nothing here is the room's state: only the checks on what a chatter may say, the rate limits
// (per node: a sender is counted by the node it talks to), and a bounded cache of who is who.

import { randomBytes } from 'node:crypto';
import type { BayeuxServer, ChannelOptions, PresenceInfoHook } from '@pushwire/server';
import {
  CHANNELS,
  type ChatInfo,
  type ChatMessage,
  type ChatWelcome,
  chatInfo,
  chatMember,
  isTechnique,
  type Member,
  ROOM_PATTERN,
  type TypingEvent,
} from '../shared/protocol.js';
import { RateLimiter } from './rate.js';
import { cleanNick, cleanText } from './text.js';

export interface ChatLimits {
  chatRecent: number;
  chatRecentBytes: number;
  maxListedMembers: number;
  maxNickLength: number;
  maxMessageLength: number;
  chatRatePer10s: number;
  typingRatePer10s: number;
}

/** What the rooms need of the Bayeux server (BayeuxServer has it). */
export type ChatHub = Pick<BayeuxServer, 'history' | 'presence'> & {
  engine: Pick<BayeuxServer['engine'], 'subscriptions'>;
};

/** A refusal a person can act on; goes back as a service failure or a raw `error` frame. */
export class ChatError extends Error {}

const RATE_WINDOW_MS = 10_000;
/** Sessions whose info this node remembers (a session's info never changes: its handshake made it). */
const KNOWN_SENDERS = 10_000;
/** Channels of every room (a room is one channel segment, ROOM_PATTERN). */
export const ROOM_CHANNELS = '/chat/messages/*';

/** The server's `channels` option for the rooms: history for the recent messages, presence for members. */
export function chatChannels(limits: ChatLimits): Record<string, ChannelOptions> {
  return {
    [ROOM_CHANNELS]: {
      history: { size: limits.chatRecent, maxBytes: limits.chatRecentBytes },
      presence: { maxMembers: limits.maxListedMembers },
    },
  };
}

/**
 * The server's `presenceInfo` hook: a chat page's handshake says `ext.chat = {nick, technique}`; what
 * presence shows is the cleaned version (null, i.e. not a chatter, when the nickname is not one).
 */
export function chatPresenceInfo(limits: Pick<ChatLimits, 'maxNickLength'>): PresenceInfoHook {
  return (handshake) => {
    const ext = handshake.ext as { chat?: { nick?: unknown; technique?: unknown } } | undefined;
    const chat = ext?.chat;
    if (typeof chat !== 'object' || chat === null) return null;
    const nick = cleanNick(chat.nick, limits.maxNickLength);
    if (nick === null) return null;
    const t = chat.technique;
    const technique = isTechnique(t) && t !== 'raw-websocket' ? t : 'long-polling';
    return { nick, technique } satisfies ChatInfo;
  };
}

export class ChatRooms {
  readonly #limits: ChatLimits;
  readonly #hub: ChatHub;
  readonly #rate: RateLimiter;
  readonly #typingRate: RateLimiter;
  /** clientId -> its info, learnt from presence once (Map order: the oldest first, dropped past the bound). */
  readonly #known = new Map<string, ChatInfo | null>();

  constructor(limits: ChatLimits, hub: ChatHub) {
    this.#limits = limits;
    this.#hub = hub;
    this.#rate = new RateLimiter(limits.chatRatePer10s, RATE_WINDOW_MS);
    this.#typingRate = new RateLimiter(limits.typingRatePer10s, RATE_WINDOW_MS);
  }

  /** The room name and the nickname as they would be joined with, or a ChatError. */
  check(rawRoom: unknown, rawNick: unknown): { room: string; nick: string } {
    const room = this.room(rawRoom);
    const nick = cleanNick(rawNick, this.#limits.maxNickLength);
    if (nick === null) throw new ChatError(`a nickname is 1-${this.#limits.maxNickLength} characters`);
    return { room, nick };
  }

  room(rawRoom: unknown): string {
    if (typeof rawRoom !== 'string' || !ROOM_PATTERN.test(rawRoom)) {
      throw new ChatError('a room name is 1-24 lower-case letters, digits or dashes');
    }
    return rawRoom;
  }

  /** The room as a newcomer sees it: the newest messages of its history, and who is in it. */
  async welcome(room: string, self: ChatInfo): Promise<ChatWelcome> {
    const [history, members] = await Promise.all([
      this.#hub.history(CHANNELS.chatMessages(room), { limit: this.#limits.chatRecent }),
      this.members(room),
    ]);
    const recent = history.messages.map((m) => m.data as ChatMessage);
    return { room, nick: self.nick, recent, ...members };
  }

  /** Who is in the room: the list (empty past maxListedMembers) and the count, from the server's presence. */
  async members(room: string): Promise<{ members: Member[]; count: number }> {
    const presence = await this.#hub.presence(CHANNELS.chatMessages(room));
    const members: Member[] = [];
    for (const m of presence.members ?? []) {
      const member = chatMember(m);
      if (member !== null) members.push(member);
    }
    return { members: sortMembers(members), count: presence.count };
  }

  /**
   * Who `clientId` is in `room`: a ChatError unless its session is subscribed to the room (a presence
   * member, on any node: the engine knows) with a chatter's info.
   */
  async sender(clientId: string, room: string): Promise<ChatInfo> {
    const channel = CHANNELS.chatMessages(room);
    const subscriptions = await this.#hub.engine.subscriptions(clientId);
    if (!subscriptions.includes(channel)) throw new ChatError(`join the room '${room}' before talking in it`);
    let info = this.#known.get(clientId);
    if (info === undefined) {
      // Once per session and node: every member is listed (the count bound is for what clients see).
      const presence = await this.#hub.presence(channel, { maxMembers: Number.MAX_SAFE_INTEGER });
      const member = presence.members?.find((m) => m.clientId === clientId);
      info = member === undefined ? null : chatInfo(member.info);
      if (member === undefined) throw new ChatError(`join the room '${room}' before talking in it`);
      if (this.#known.size >= KNOWN_SENDERS) {
        const oldest = this.#known.keys().next().value;
        if (oldest !== undefined) this.#known.delete(oldest);
      }
      this.#known.set(clientId, info);
    }
    if (info === null) {
      throw new ChatError(`a nickname is 1-${this.#limits.maxNickLength} characters (give one to join)`);
    }
    return info;
  }

  /** Checks a message from `key` (the sender's session) and returns it as everyone will see it. */
  message(key: string, sender: ChatInfo, data: unknown): ChatMessage {
    const raw = typeof data === 'object' && data !== null ? (data as { text?: unknown }).text : undefined;
    const text = cleanText(raw, this.#limits.maxMessageLength);
    if (text === null) throw new ChatError(`a message is 1-${this.#limits.maxMessageLength} characters`);
    const now = Date.now();
    if (!this.#rate.take(key, now)) {
      throw new ChatError(`slow down: at most ${this.#limits.chatRatePer10s} messages in 10 seconds`);
    }
    return {
      id: randomBytes(8).toString('base64url'),
      nick: sender.nick,
      text,
      ts: now,
      technique: sender.technique,
    };
  }

  typing(key: string, sender: ChatInfo, data: unknown): TypingEvent {
    // Every typing event is broadcast to the room: bounded like messages.
    if (!this.#typingRate.take(key)) {
      throw new ChatError(`slow down: at most ${this.#limits.typingRatePer10s} typing events in 10 seconds`);
    }
    const typing =
      typeof data === 'object' && data !== null && (data as { typing?: unknown }).typing === true;
    return { nick: sender.nick, typing };
  }

  /** The session is done (its presence leave is the server's). */
  forget(key: string): void {
    this.#rate.forget(key);
    this.#typingRate.forget(key);
    this.#known.delete(key);
  }
}

export function sortMembers(members: Member[]): Member[] {
  return members.sort((a, b) => a.nick.localeCompare(b.nick) || a.id.localeCompare(b.id));
}
