// The multiplayer game: players steer a disc towards a star; the server owns the world and publishes it on
// /game/state every tick (gameTickMs, 20 Hz by default) while anyone plays. Clients interpolate between
// ticks; a short-polling client receives the ticks in bursts, once per poll, and that is what it shows.

import { randomBytes } from 'node:crypto';
import { CHANNELS, type GamePlayer, type GameState, type GameWelcome, PALETTE } from '../shared/protocol.js';
import { cleanNick } from './text.js';

export interface Publisher {
  publish(channel: string, data: unknown): Promise<number>;
}

export interface GameLimits {
  maxPlayers: number;
  gameTickMs: number;
  maxNickLength: number;
}

export class GameError extends Error {}

export const WORLD = { width: 800, height: 500 } as const;
/** Pixels per second at full stick. */
const SPEED = 240;
const RADIUS = 16;
const STAR_RADIUS = 14;

interface Player extends GamePlayer {
  dx: number;
  dy: number;
}

export class Game {
  readonly #players = new Map<string, Player>();
  readonly #limits: GameLimits;
  readonly #publisher: Publisher;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #tick = 0;
  #star = { x: WORLD.width / 2, y: WORLD.height / 2 };
  #colors = 0;

  constructor(limits: GameLimits, publisher: Publisher, onError: (err: unknown) => void) {
    this.#limits = limits;
    this.#publisher = publisher;
    this.#onError = onError;
  }

  get playerCount(): number {
    return this.#players.size;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  join(key: string, rawNick: unknown): GameWelcome {
    const nick = cleanNick(rawNick, this.#limits.maxNickLength);
    if (nick === null) throw new GameError(`a nickname is 1-${this.#limits.maxNickLength} characters`);
    let player = this.#players.get(key);
    if (player === undefined) {
      if (this.#players.size >= this.#limits.maxPlayers) {
        throw new GameError(`the game is full (${this.#limits.maxPlayers} players); try again soon`);
      }
      const color = PALETTE[this.#colors++ % PALETTE.length] ?? '#e4572e';
      player = {
        id: randomBytes(6).toString('base64url'),
        nick,
        color,
        x: RADIUS + Math.random() * (WORLD.width - 2 * RADIUS),
        y: RADIUS + Math.random() * (WORLD.height - 2 * RADIUS),
        score: 0,
        dx: 0,
        dy: 0,
      };
      this.#players.set(key, player);
    } else player.nick = nick;
    this.#start();
    return { id: player.id, color: player.color, tickMs: this.#limits.gameTickMs, world: { ...WORLD } };
  }

  /** Steering: a direction, clamped to length 1. */
  input(key: string, data: unknown): void {
    const player = this.#players.get(key);
    if (player === undefined) throw new GameError('join the game first');
    const { dx, dy } = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    if (typeof dx !== 'number' || typeof dy !== 'number' || !Number.isFinite(dx) || !Number.isFinite(dy)) {
      throw new GameError('input is {dx, dy} numbers');
    }
    const length = Math.hypot(dx, dy);
    const scale = length > 1 ? 1 / length : 1;
    player.dx = dx * scale;
    player.dy = dy * scale;
  }

  leave(key: string): void {
    if (!this.#players.delete(key)) return;
    if (this.#players.size === 0) this.#stop();
  }

  /** One server tick: move, collect, publish. Public so tests can step the world. */
  step(): GameState {
    const dt = this.#limits.gameTickMs / 1000;
    for (const p of this.#players.values()) {
      p.x = Math.min(WORLD.width - RADIUS, Math.max(RADIUS, p.x + p.dx * SPEED * dt));
      p.y = Math.min(WORLD.height - RADIUS, Math.max(RADIUS, p.y + p.dy * SPEED * dt));
      if (Math.hypot(p.x - this.#star.x, p.y - this.#star.y) < RADIUS + STAR_RADIUS) {
        p.score++;
        this.#star = {
          x: 40 + Math.random() * (WORLD.width - 80),
          y: 40 + Math.random() * (WORLD.height - 80),
        };
      }
    }
    this.#tick++;
    return {
      tick: this.#tick,
      t: Date.now(),
      players: [...this.#players.values()].map(({ id, nick, color, x, y, score }) => ({
        id,
        nick,
        color,
        x: Math.round(x * 10) / 10,
        y: Math.round(y * 10) / 10,
        score,
      })),
      star: { ...this.#star },
    };
  }

  #start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#publisher.publish(CHANNELS.gameState, this.step()).catch(this.#onError);
    }, this.#limits.gameTickMs);
    this.#timer.unref();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  close(): void {
    this.#stop();
    this.#players.clear();
  }
}
