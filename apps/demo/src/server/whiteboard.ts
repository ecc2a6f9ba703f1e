// The shared whiteboard: strokes are checked (palette colour, width, normalised points) and published on
// /whiteboard/strokes, whose HISTORY (bounded: maxStrokes, maxBoardBytes; oldest dropped) is the drawing a
// late joiner gets, on any node of a cluster. A clear-board is a marker in the same stream, so the drawing
// is what followed the last marker, in the engine's order: no per-node snapshot to keep in step.

import type { BayeuxServer, ChannelOptions } from '@pushwire/server';
import { type BoardEvent, CHANNELS, isBoardClear, PALETTE, type Stroke } from '../shared/protocol.js';
import { RateLimiter } from './rate.js';

/** The server's `channels` option for the board. */
export function boardChannels(limits: BoardLimits): Record<string, ChannelOptions> {
  return {
    [CHANNELS.boardStrokes]: { history: { size: limits.maxStrokes, maxBytes: limits.maxBoardBytes } },
  };
}

/** The current drawing: the strokes of the board's history after its last clear-board marker. */
export async function boardStrokes(hub: Pick<BayeuxServer, 'history'>): Promise<Stroke[]> {
  const { messages } = await hub.history(CHANNELS.boardStrokes);
  const strokes: Stroke[] = [];
  for (const m of messages) {
    const event = m.data as BoardEvent;
    if (isBoardClear(event)) strokes.length = 0;
    else strokes.push(event);
  }
  return strokes;
}

export interface BoardLimits {
  maxStrokes: number;
  maxBoardBytes: number;
  maxStrokePoints: number;
  strokeRatePer10s: number;
}

export class BoardError extends Error {}

const ID = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_WIDTH = 40;

export class Whiteboard {
  readonly #limits: BoardLimits;
  /** One drawer cannot push everyone else's ink off the bounded board in a moment. */
  readonly #rate: RateLimiter;

  constructor(limits: BoardLimits) {
    this.#limits = limits;
    this.#rate = new RateLimiter(limits.strokeRatePer10s, 10_000);
  }

  /** Counts a stroke piece from `sender`; a BoardError past strokeRatePer10s. */
  allow(sender: string): void {
    if (!this.#rate.take(sender)) {
      throw new BoardError(`slow down: at most ${this.#limits.strokeRatePer10s} stroke pieces in 10 seconds`);
    }
  }

  forget(sender: string): void {
    this.#rate.forget(sender);
  }

  /** The stroke as everyone will get it, or a BoardError saying what is wrong. */
  check(data: unknown): Stroke {
    if (typeof data !== 'object' || data === null) throw new BoardError('a stroke is an object');
    const { id, color, width, points } = data as Record<string, unknown>;
    if (typeof id !== 'string' || !ID.test(id))
      throw new BoardError('a stroke needs an id (1-32 of A-Z a-z 0-9 _ -)');
    if (typeof color !== 'string' || !(PALETTE as readonly string[]).includes(color)) {
      throw new BoardError(`colour must be one of ${PALETTE.join(' ')}`);
    }
    if (typeof width !== 'number' || !Number.isFinite(width) || width < 1 || width > MAX_WIDTH) {
      throw new BoardError(`width must be 1-${MAX_WIDTH}`);
    }
    if (!Array.isArray(points) || points.length < 2 || points.length % 2 !== 0) {
      throw new BoardError('points are [x0, y0, x1, y1, ...]');
    }
    if (points.length / 2 > this.#limits.maxStrokePoints) {
      throw new BoardError(`at most ${this.#limits.maxStrokePoints} points per stroke message`);
    }
    const clean: number[] = [];
    for (const p of points) {
      if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1) {
        throw new BoardError('points are numbers from 0 to 1');
      }
      // Four decimals are finer than any screen pixel and keep the drawing small.
      clean.push(Math.round(p * 10_000) / 10_000);
    }
    return { id, color, width: Math.round(width * 10) / 10, points: clean };
  }
}
