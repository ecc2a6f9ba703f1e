// The game's world: positions, scores and the star, stepped by ONE process at a time (the node holding the
// game's lease, game.ts). Pure: no timers, no I/O; the players and their steering come in with each step.

import type { GamePlayer, GameState, RosterPlayer } from '../shared/protocol.js';

export const WORLD = { width: 800, height: 500 } as const;
/** Pixels per second at full stick. */
const SPEED = 240;
const RADIUS = 16;
const STAR_RADIUS = 14;

interface Body {
  x: number;
  y: number;
  score: number;
}

export class World {
  readonly #bodies = new Map<string, Body>();
  #tick = 0;
  #star = { x: WORLD.width / 2, y: WORLD.height / 2 };

  get tick(): number {
    return this.#tick;
  }

  /** Continues from a state another node published (failover): positions, scores, star and tick. */
  seed(state: GameState): void {
    if (state.tick <= this.#tick) return;
    this.#bodies.clear();
    for (const p of state.players) this.#bodies.set(p.id, { x: p.x, y: p.y, score: p.score });
    this.#star = { ...state.star };
    this.#tick = state.tick;
  }

  /** One tick of `dtMs`: newcomers appear at random, the departed go, everyone moves and may take the star. */
  step(players: readonly RosterPlayer[], dtMs: number): GameState {
    const dt = dtMs / 1000;
    const present = new Set(players.map((p) => p.id));
    for (const id of this.#bodies.keys()) if (!present.has(id)) this.#bodies.delete(id);
    const out: GamePlayer[] = [];
    for (const p of players) {
      let b = this.#bodies.get(p.id);
      if (b === undefined) {
        b = {
          x: RADIUS + Math.random() * (WORLD.width - 2 * RADIUS),
          y: RADIUS + Math.random() * (WORLD.height - 2 * RADIUS),
          score: 0,
        };
        this.#bodies.set(p.id, b);
      }
      b.x = Math.min(WORLD.width - RADIUS, Math.max(RADIUS, b.x + p.dx * SPEED * dt));
      b.y = Math.min(WORLD.height - RADIUS, Math.max(RADIUS, b.y + p.dy * SPEED * dt));
      if (Math.hypot(b.x - this.#star.x, b.y - this.#star.y) < RADIUS + STAR_RADIUS) {
        b.score++;
        this.#star = {
          x: 40 + Math.random() * (WORLD.width - 80),
          y: 40 + Math.random() * (WORLD.height - 80),
        };
      }
      out.push({
        id: p.id,
        nick: p.nick,
        color: p.color,
        x: Math.round(b.x * 10) / 10,
        y: Math.round(b.y * 10) / 10,
        score: b.score,
      });
    }
    this.#tick++;
    return { tick: this.#tick, t: Date.now(), players: out, star: { ...this.#star } };
  }
}
