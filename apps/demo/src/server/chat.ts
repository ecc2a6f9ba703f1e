// Chat rooms: membership (presence), recent messages for late joiners, the typing indicator, and the checks
// on what a chatter may say. Transport-blind: a member is a key (a Bayeux clientId, or `raw:<n>` for a raw
// WebSocket chatter); everything said reaches everyone through Bayeux channels, whatever their technique.

import { randomBytes } from 'node:crypto';
import {
  CHANNELS,
  type ChatMessage,
  type ChatWelcome,
  type Member,
  type PresenceEvent,
  ROOM_PATTERN,
  type Technique,
  type TypingEvent,
} from '../shared/protocol.js';
import { RateLimiter } from './rate.js';
import { cleanNick, cleanText } from './text.js';

export interface ChatLimits {
  chatRecent: number;
  chatRecentBytes: number;
  maxRooms: number;
  maxNickLength: number;
  maxMessageLength: number;
  chatRatePer10s: number;
  typingRatePer10s: number;
}

export interface Publisher {
  publish(channel: string, data: unknown): Promise<number>;
}

/** A refusal a person can act on; goes back as a service failure or a raw `error` frame. */
export class ChatError extends Error {}

interface Room {
  recent: ChatMessage[];
  recentBytes: number[];
  bytes: number;
  members: Map<string, Member>;
}

interface Membership {
  room: string;
  member: Member;
}

const RATE_WINDOW_MS = 10_000;

export class ChatRooms {
  readonly #rooms = new Map<string, Room>();
  readonly #members = new Map<string, Membership>();
  readonly #limits: ChatLimits;
  readonly #publisher: Publisher;
  readonly #onError: (err: unknown) => void;
  readonly #rate: RateLimiter;
  readonly #typingRate: RateLimiter;

  constructor(limits: ChatLimits, publisher: Publisher, onError: (err: unknown) => void) {
    this.#limits = limits;
    this.#rate = new RateLimiter(limits.chatRatePer10s, RATE_WINDOW_MS);
    this.#typingRate = new RateLimiter(limits.typingRatePer10s, RATE_WINDOW_MS);
    this.#publisher = publisher;
    this.#onError = onError;
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  membership(key: string): { room: string; nick: string } | undefined {
    const m = this.#members.get(key);
    return m && { room: m.room, nick: m.member.nick };
  }

  /** The room name and the nickname as they would be joined with, or a ChatError (nothing changes). */
  check(rawRoom: unknown, rawNick: unknown): { room: string; nick: string } {
    if (typeof rawRoom !== 'string' || !ROOM_PATTERN.test(rawRoom)) {
      throw new ChatError('a room name is 1-24 lower-case letters, digits or dashes');
    }
    const nick = cleanNick(rawNick, this.#limits.maxNickLength);
    if (nick === null) throw new ChatError(`a nickname is 1-${this.#limits.maxNickLength} characters`);
    return { room: rawRoom, nick };
  }

  /** Joins `key` to a room (leaving the one it was in); the welcome carries recent messages and members. */
  join(key: string, rawRoom: unknown, rawNick: unknown, technique: Technique): ChatWelcome {
    const { nick } = this.check(rawRoom, rawNick);
    if (typeof rawRoom !== 'string') throw new ChatError('a room name is a string');
    // Moving rooms keeps the sender's rate window (rejoining must not reset it).
    if (this.#members.has(key)) this.#leave(key);
    const room = this.#room(rawRoom);
    const member: Member = { nick, technique };
    room.members.set(key, member);
    this.#members.set(key, { room: rawRoom, member });
    const members = this.#memberList(room);
    this.#announce(rawRoom, { event: 'join', nick, members });
    return { room: rawRoom, nick, recent: [...room.recent], members };
  }

  /** Leaves the room `key` is in (no-op when in none), telling the others; the session is done. */
  leave(key: string): void {
    this.#rate.forget(key);
    this.#typingRate.forget(key);
    this.#leave(key);
  }

  #leave(key: string): void {
    const m = this.#members.get(key);
    if (m === undefined) return;
    this.#members.delete(key);
    const room = this.#rooms.get(m.room);
    if (room === undefined) return;
    room.members.delete(key);
    this.#announce(m.room, { event: 'leave', nick: m.member.nick, members: this.#memberList(room) });
  }

  /** Checks a message from `key` for `room` and returns it as everyone will see it (nick from the server). */
  message(key: string, room: string, data: unknown): ChatMessage {
    const m = this.#members.get(key);
    if (m === undefined || m.room !== room)
      throw new ChatError(`join the room '${room}' before talking in it`);
    const raw = typeof data === 'object' && data !== null ? (data as { text?: unknown }).text : undefined;
    const text = cleanText(raw, this.#limits.maxMessageLength);
    if (text === null) throw new ChatError(`a message is 1-${this.#limits.maxMessageLength} characters`);
    const now = Date.now();
    if (!this.#rate.take(key, now)) {
      throw new ChatError(`slow down: at most ${this.#limits.chatRatePer10s} messages in 10 seconds`);
    }
    return {
      id: randomBytes(8).toString('base64url'),
      nick: m.member.nick,
      text,
      ts: now,
      technique: m.member.technique,
    };
  }

  typing(key: string, room: string, data: unknown): TypingEvent {
    const m = this.#members.get(key);
    if (m === undefined || m.room !== room) throw new ChatError(`join the room '${room}' first`);
    // Every typing event is broadcast to the room: bounded like messages.
    if (!this.#typingRate.take(key)) {
      throw new ChatError(`slow down: at most ${this.#limits.typingRatePer10s} typing events in 10 seconds`);
    }
    const typing =
      typeof data === 'object' && data !== null && (data as { typing?: unknown }).typing === true;
    return { nick: m.member.nick, typing };
  }

  /** Keeps a published message for late joiners (bounded in count and bytes, oldest dropped first). */
  record(roomName: string, message: ChatMessage): void {
    const room = this.#rooms.get(roomName);
    if (room === undefined) return;
    const bytes = Buffer.byteLength(JSON.stringify(message));
    room.recent.push(message);
    room.recentBytes.push(bytes);
    room.bytes += bytes;
    while (
      room.recent.length > this.#limits.chatRecent ||
      (room.bytes > this.#limits.chatRecentBytes && room.recent.length > 0)
    ) {
      room.recent.shift();
      room.bytes -= room.recentBytes.shift() ?? 0;
    }
  }

  recent(roomName: string): ChatMessage[] {
    return [...(this.#rooms.get(roomName)?.recent ?? [])];
  }

  members(roomName: string): Member[] {
    const room = this.#rooms.get(roomName);
    return room ? this.#memberList(room) : [];
  }

  #room(name: string): Room {
    let room = this.#rooms.get(name);
    if (room !== undefined) {
      // Map order is recency order: the least recently joined room is first.
      this.#rooms.delete(name);
      this.#rooms.set(name, room);
      return room;
    }
    if (this.#rooms.size >= this.#limits.maxRooms) {
      const empty = [...this.#rooms].find(([, r]) => r.members.size === 0);
      if (empty === undefined)
        throw new ChatError(`too many rooms in use (maxRooms ${this.#limits.maxRooms})`);
      this.#rooms.delete(empty[0]);
    }
    room = { recent: [], recentBytes: [], bytes: 0, members: new Map() };
    this.#rooms.set(name, room);
    return room;
  }

  #memberList(room: Room): Member[] {
    return [...room.members.values()].sort((a, b) => a.nick.localeCompare(b.nick));
  }

  #announce(room: string, event: PresenceEvent): void {
    this.#publisher.publish(CHANNELS.chatPresence(room), event).catch(this.#onError);
  }
}
