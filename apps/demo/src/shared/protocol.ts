// The demo's vocabulary, shared by the server and the pages (defined once): techniques, channels, and the
// shapes of what travels on them. Pure TypeScript: it is bundled into the pages too.

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
  chatLeave: '/service/chat/leave',
  chatSend: '/service/chat/send',
  chatTyping: '/service/chat/typing',
  chatMessages: (room: string) => `/chat/${room}/messages`,
  chatPresence: (room: string) => `/chat/${room}/presence`,
  chatTypingEvents: (room: string) => `/chat/${room}/typing`,
  boardStroke: '/service/whiteboard/stroke',
  boardClear: '/service/whiteboard/clear',
  boardState: '/service/whiteboard/state',
  boardStrokes: '/whiteboard/strokes',
  boardCleared: '/whiteboard/cleared',
  photosNew: '/photos/new',
  photosRecent: '/service/photos/recent',
  gameJoin: '/service/game/join',
  gameInput: '/service/game/input',
  gameLeave: '/service/game/leave',
  gameState: '/game/state',
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

export interface Member {
  nick: string;
  technique: Technique;
}

export interface PresenceEvent {
  event: 'join' | 'leave';
  nick: string;
  members: Member[];
}

export interface TypingEvent {
  nick: string;
  typing: boolean;
}

/** The answer of /service/chat/join (and the raw WebSocket's first frame). */
export interface ChatWelcome {
  room: string;
  nick: string;
  recent: ChatMessage[];
  members: Member[];
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

export interface GameWelcome {
  id: string;
  color: string;
  tickMs: number;
  world: { width: number; height: number };
}

export const PALETTE = ['#e4572e', '#2e86ab', '#43aa8b', '#f3a712', '#8e44ad', '#1b1b1e', '#ff6f91'] as const;
