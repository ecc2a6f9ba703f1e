// Options of createDemoServer. Every size, count and rate is a named option with a safe default (DESIGN.md
// "Bounded everything"); each has a test that crosses it by one.

import type { Engine } from '@pushwire/server';
import { type DemoCluster, localCluster } from './cluster.js';

export interface DemoServerOptions {
  /** Port to listen on. Default 8000 (0 picks a free port). */
  port?: number;
  /** Address to bind. Default 127.0.0.1. */
  host?: string;
  /** Path of the Bayeux endpoint. Default /bayeux. */
  mount?: string;
  /** Bayeux engine. Default: the in-memory engine. */
  engine?: Engine;
  /**
   * What the nodes share besides the engine: the full-size photos and the game's lease (cluster.ts). Default:
   * this process only. With a Redis engine pass `redisCluster(port, prefix)` on the engine's port and prefix
   * (`openDemoEngine` does), so that any node serves any photo and all nodes play one game world.
   */
  cluster?: DemoCluster;
  /** Uploads one client address may make per 10 s (each is pushed to every viewer); one more is 429. Default 10. */
  uploadRatePer10s?: number;
  /** Largest photo upload in bytes; one more is refused with 413. Default 5 MiB. */
  maxPhotoBytes?: number;
  /** Largest thumbnail sent with an upload in bytes; larger ones are dropped (the photo is kept). Default 48 KiB. */
  maxThumbnailBytes?: number;
  /** Photos kept for late joiners (the history of /photos/new, and their full-size bytes). Default 12. */
  photosKept?: number;
  /**
   * Bytes of full-size photos kept at most (in memory, or in Redis as base64: what Redis stores is counted);
   * the oldest goes first, the newest always stays. Default 40 MiB.
   */
  maxPhotoStoreBytes?: number;
  /** Recent chat messages per room for late joiners (the room channel's history size). Default 50. */
  chatRecent?: number;
  /** Bytes of a room's history (its stored messages' JSON; the oldest go first). Default 64 KiB. */
  chatRecentBytes?: number;
  /** Members a room's presence list shows; past it only the count. Default 100. */
  maxListedMembers?: number;
  /** Longest nickname in characters. Default 32. */
  maxNickLength?: number;
  /** Longest chat message in characters. Default 500. */
  maxMessageLength?: number;
  /** Chat messages one chatter may send per 10 s; one more is refused. Default 30. */
  chatRatePer10s?: number;
  /** Typing events one chatter may send per 10 s (the page sends one every 2 s at most). Default 20. */
  typingRatePer10s?: number;
  /** Strokes kept on the whiteboard (the board channel's history size; the oldest goes first). Default 5000. */
  maxStrokes?: number;
  /** Bytes of the board's history (stored JSON). Default 2 MiB. */
  maxBoardBytes?: number;
  /** Most points in one stroke message. Default 256. */
  maxStrokePoints?: number;
  /** Stroke pieces one drawer may send per 10 s (a piece every 60 ms while drawing is ~170); one more is refused. Default 400. */
  strokeRatePer10s?: number;
  /** Players in the game at once. Default 32. */
  maxPlayers?: number;
  /** Ms between game ticks. Default 50 (20 Hz). */
  gameTickMs?: number;
  /**
   * Ms the node that steps the game's world holds its lease without renewing it (it renews every quarter):
   * how long the game pauses when that node dies before another takes over. Default 2000.
   */
  gameLeaseMs?: number;
  /** Raw WebSocket chatters at once. Default 500. */
  maxRawChatters?: number;
  /** Largest raw WebSocket chat message in bytes (close 1009 above). Default 4 KiB. */
  maxRawFrameBytes?: number;
  /** Live messages held for a raw chatter while its welcome is made; one more closes it with 1013. Default 100. */
  maxRawJoinBacklog?: number;
  /** Ms between /clock ticks (the landing page's live meter). Default 2000. */
  clockMs?: number;
  /** Bayeux: ms a /meta/connect is held. Default 25000. */
  bayeuxTimeout?: number;
  /** Bayeux: ms a silent client lives on. Default 10000. */
  bayeuxMaxInterval?: number;
}

export type ResolvedDemoOptions = Required<Omit<DemoServerOptions, 'engine' | 'cluster'>> & {
  engine: Engine | undefined;
  cluster: DemoCluster;
};

export const DEMO_DEFAULTS = {
  port: 8000,
  host: '127.0.0.1',
  mount: '/bayeux',
  uploadRatePer10s: 10,
  maxPhotoBytes: 5 * 1024 * 1024,
  maxThumbnailBytes: 48 * 1024,
  photosKept: 12,
  maxPhotoStoreBytes: 40 * 1024 * 1024,
  chatRecent: 50,
  chatRecentBytes: 64 * 1024,
  maxListedMembers: 100,
  maxNickLength: 32,
  maxMessageLength: 500,
  chatRatePer10s: 30,
  typingRatePer10s: 20,
  maxStrokes: 5000,
  maxBoardBytes: 2 * 1024 * 1024,
  maxStrokePoints: 256,
  strokeRatePer10s: 400,
  maxPlayers: 32,
  gameTickMs: 50,
  gameLeaseMs: 2000,
  maxRawChatters: 500,
  maxRawFrameBytes: 4 * 1024,
  maxRawJoinBacklog: 100,
  clockMs: 2000,
  bayeuxTimeout: 25_000,
  bayeuxMaxInterval: 10_000,
} as const;

const MOUNT = /^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;
const RESERVED = [
  '/chat',
  '/whiteboard',
  '/photos',
  '/game',
  '/assets',
  '/api',
  '/ws',
  '/pushwire.js',
  '/style.css',
  '/favicon.svg',
];

export function resolveDemoOptions(o: DemoServerOptions = {}): ResolvedDemoOptions {
  const out: Record<string, unknown> = { ...DEMO_DEFAULTS };
  for (const [key, value] of Object.entries(o)) {
    if (value === undefined || ['engine', 'cluster', 'host', 'mount'].includes(key)) continue;
    const min = key === 'port' || key === 'bayeuxTimeout' ? 0 : 1;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw new TypeError(`pushwire demo: option ${key} must be an integer >= ${min}`);
    }
    out[key] = value;
  }
  out.host = o.host ?? DEMO_DEFAULTS.host;
  const mount = o.mount ?? DEMO_DEFAULTS.mount;
  // Safe in an HTML attribute as it is (the pages learn it from <body data-bayeux>), and not a page's path.
  if (!MOUNT.test(mount) || RESERVED.some((p) => mount === p || mount.startsWith(`${p}/`))) {
    throw new TypeError(
      `pushwire demo: option mount must be a path like /bayeux, not one of the demo's own (${mount})`,
    );
  }
  out.mount = mount;
  out.engine = o.engine;
  out.cluster = o.cluster ?? localCluster;
  return out as ResolvedDemoOptions;
}
