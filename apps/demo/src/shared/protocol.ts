// The demo's vocabulary, shared by the server and the pages (defined once): techniques, channels, and the
// shapes of what travels on them. Pure TypeScript: it is bundled into the pages too.

import { presenceChannelOf } from '@pushwire/bayeux';

/** The push techniques a page can use. The first four are @pushwire/client `transports` names. */
export const TECHNIQUES = [
  'websocket',
  'long-polling',
  'callback-polling',
  'short-polling',
  'raw-websocket',
] as const;
export type Technique = (typeof TECHNIQUES)[number];
export type BayeuxTechnique = Exclude<Technique, 'raw-websocket'>;
/** The techniques of a Bayeux-only page (every one but raw WebSocket), in switcher order. */
export const BAYEUX_TECHNIQUES: readonly BayeuxTechnique[] = TECHNIQUES.filter(
  (t): t is BayeuxTechnique => t !== 'raw-websocket',
);

export const TECHNIQUE_LABELS: Record<Technique, string> = {
  websocket: 'Bayeux over WebSocket',
  'long-polling': 'Long polling',
  'callback-polling': 'Callback polling (JSON-P)',
  'short-polling': 'Short polling',
  'raw-websocket': 'Raw WebSocket',
};

export function isTechnique(value: unknown): value is Technique {
  return typeof value === 'string' && (TECHNIQUES as readonly string[]).includes(value);
}

/** HTTP paths served by the demo server. */
export const PATHS = {
  /** The default Bayeux mount (the server's `mount` option; pages read it from <body data-bayeux>). */
  bayeux: '/bayeux',
  clientScript: '/pushwire.js',
  rawChat: '/ws/chat',
  upload: '/api/photos',
  photo: '/photos/', // + id
} as const;

/**
 * Bayeux channels. Pages only ever publish to `/service/**` (answered by the server, never broadcast): the
 * server checks what they say and publishes the result on the broadcast channels, so a nickname or a stroke
 * is always the server's view, never the sender's claim. Rooms are one channel segment (ROOM_PATTERN).
 */
export const CHANNELS = {
  echo: '/service/echo',
  clock: '/clock',
  chatJoin: '/service/chat/join',
  chatSend: '/service/chat/send',
  chatTyping: '/service/chat/typing',
  /** A room's messages: kept in the channel's history (the recent messages) and tracked by presence. */
  chatMessages: (room: string) => `/chat/messages/${room}`,
  /** The server's presence events of a room (`/presence/chat/messages/<room>`): joins and leaves. */
  chatPresence: (room: string) => presenceChannelOf(`/chat/messages/${room}`),
  chatTypingEvents: (room: string) => `/chat/typing/${room}`,
  boardStroke: '/service/whiteboard/stroke',
  boardClear: '/service/whiteboard/clear',
  boardState: '/service/whiteboard/state',
  /** Strokes and clear-board markers, in order, kept in the channel's history (the late joiner's drawing). */
  boardStrokes: '/whiteboard/strokes',
  /** New photos, the last `photosKept` kept in the channel's history for late joiners. */
  photosNew: '/photos/new',
  photosRecent: '/service/photos/recent',
  gameJoin: '/service/game/join',
  gameInput: '/service/game/input',
  gameLeave: '/service/game/leave',
  gameState: '/game/state',
  /** Server to server: each node's players and their steering (game.ts); clients may only read it. */
  gameRoster: '/game/roster',
  /**
   * Server to server: steering that reached a node other than the one the player joined through (a
   * balancer without stickiness), relayed to its owner under a digest of the session (game.ts).
   */
  gameRelay: '/game/relay',
} as const;

/** Room names: lower-case letters, digits and dashes (one valid Bayeux channel segment). */
export const ROOM_PATTERN = /^[a-z0-9][a-z0-9-]{0,23}$/;

export interface ChatMessage {
  id: string;
  nick: string;
  text: string;
  /** Server time, ms since the epoch. */
  ts: number;
  technique: Technique;
}

/** What the server's presence shows about a chatter (its `info`: from the handshake, or the raw chat's). */
export interface ChatInfo {
  nick: string;
  technique: Technique;
}

/**
 * A member of a room: the presence member's public id (one per session) and its info. A session that
 * subscribed without being a chatter (a plain Bayeux client, no nickname at its handshake) is shown as
 * 'anonymous' with no technique.
 */
export interface Member {
  id: string;
  nick: string;
  technique: Technique | null;
}

export const ANONYMOUS = 'anonymous';

/** One join or leave, as the page and the raw chat see it (made from the server's presence event). */
export interface PresenceEvent {
  event: 'join' | 'leave';
  member: Member;
  /** Members of the room after it. */
  count: number;
}

/** The chat info in a presence member's `info`, or null when it is not a chatter's. */
export function chatInfo(info: unknown): ChatInfo | null {
  if (typeof info !== 'object' || info === null) return null;
  const { nick, technique } = info as { nick?: unknown; technique?: unknown };
  return typeof nick === 'string' && isTechnique(technique) ? { nick, technique } : null;
}

/** A presence member `{id, info}` as a room member (null when it has no public id). */
export function chatMember(value: unknown): Member | null {
  if (typeof value !== 'object' || value === null) return null;
  const { id, info } = value as { id?: unknown; info?: unknown };
  if (typeof id !== 'string') return null;
  const chatter = chatInfo(info);
  return { id, nick: chatter?.nick ?? ANONYMOUS, technique: chatter?.technique ?? null };
}

/** The server's `/presence<channel>` data `{action, channel, member, count}` as a PresenceEvent (or null). */
export function presenceEvent(data: unknown): PresenceEvent | null {
  if (typeof data !== 'object' || data === null) return null;
  const { action, member, count } = data as { action?: unknown; member?: unknown; count?: unknown };
  const m = chatMember(member);
  if (m === null || (action !== 'join' && action !== 'leave') || typeof count !== 'number') return null;
  return { event: action, member: m, count };
}

export interface TypingEvent {
  nick: string;
  typing: boolean;
}

/** The answer of /service/chat/join (and the raw WebSocket's first frame). */
export interface ChatWelcome {
  room: string;
  nick: string;
  /** The newest messages of the room's history, oldest first (bounded: chatRecent, chatRecentBytes). */
  recent: ChatMessage[];
  /** Who is in the room (empty past the presence list's bound: then only `count`). */
  members: Member[];
  count: number;
}

/** Raw WebSocket chat frames (JSON text). Client to server: */
export type RawClientFrame =
  | { type: 'message'; text: string }
  | { type: 'typing'; typing: boolean }
  /** Answered with the same `sent` (the meter's round trip). */
  | { type: 'echo'; sent: number };
/** Server to client: */
export type RawServerFrame =
  | ({ type: 'welcome' } & ChatWelcome)
  | ({ type: 'message' } & ChatMessage)
  | ({ type: 'presence' } & PresenceEvent)
  | ({ type: 'typing' } & TypingEvent)
  | { type: 'echo'; sent: number }
  | { type: 'error'; message: string };

/** A whiteboard stroke: points normalised to 0..1 of the board, flattened [x0, y0, x1, y1, ...]. */
export interface Stroke {
  id: string;
  color: string;
  width: number;
  points: number[];
}

/** The clear-board marker, in the strokes' own stream: a late joiner's drawing is what followed the last one. */
export interface BoardClear {
  clear: true;
  /** Server time, ms since the epoch. */
  at: number;
}

/** What travels on /whiteboard/strokes: a stroke piece or a clear-board marker. */
export type BoardEvent = Stroke | BoardClear;

export function isBoardClear(event: BoardEvent): event is BoardClear {
  return (event as BoardClear).clear === true;
}

export interface Photo {
  id: string;
  nick: string;
  name: string;
  type: PhotoType;
  size: number;
  /** A small image as a data: URL (made by the uploader's browser, type-checked by the server), or null. */
  thumbnail: string | null;
  url: string;
  ts: number;
}

export const PHOTO_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type PhotoType = (typeof PHOTO_TYPES)[number];

export interface GamePlayer {
  id: string;
  nick: string;
  color: string;
  x: number;
  y: number;
  score: number;
}

export interface GameState {
  /** Tick number and server time of the tick. */
  tick: number;
  t: number;
  players: GamePlayer[];
  star: { x: number; y: number };
}

/** A player as the node it joined through announces it on /game/roster: who, and where it steers. */
export interface RosterPlayer {
  id: string;
  nick: string;
  color: string;
  dx: number;
  dy: number;
}

/** One node's whole roster (its players replace what it announced before). */
export interface GameRoster {
  node: string;
  players: RosterPlayer[];
}

export interface GameWelcome {
  id: string;
  color: string;
  tickMs: number;
  world: { width: number; height: number };
}

export const PALETTE = ['#e4572e', '#2e86ab', '#43aa8b', '#f3a712', '#8e44ad', '#1b1b1e', '#ff6f91'] as const;

/**
 * What a Bayeux chat page sends in its handshake's `ext` (the server's `presenceInfo` hook makes the
 * presence info of it, cleaned): the nickname and technique others see in the room.
 */
export interface ChatHandshakeExt {
  chat: { nick: string; technique: BayeuxTechnique };
}
