// The multiplayer game: players steer a disc towards a star. ONE world per cluster, whichever node a player
// joined through:
//   - Each node owns the players that joined through it (their nick, colour and steering) and announces its
//     whole roster on /game/roster (a server-only broadcast) when it changed, at most once a tick, and every
//     ROSTER_HEARTBEAT_MS. Every node keeps every node's last roster; one not heard from for ROSTER_TTL_MS
//     (a node that died) is dropped with its players.
//   - The node holding the game's lease (cluster.ts: a Redis key with a TTL, or this process) steps the world
//     (game-world.ts) every gameTickMs and publishes it on /game/state. It renews the lease every
//     gameLeaseMs / 4; a node that stops releases it, a node that dies lets it lapse after gameLeaseMs, and the
//     next node with players takes it and continues from the last /game/state it saw (positions, scores).
//   - Only nodes with players tick or compete for the lease, so an idle cluster is silent.
// Inputs may reach any node (a balancer without stickiness moves long-polling requests between nodes). The
// node the player joined through applies them; any other node relays them on /game/relay to every node,
// naming the player by a SHA-256 digest of its Bayeux client id (the channel is readable by clients: the
// id itself is a session credential and never goes on it). Only servers may publish on /game/ (services.ts).
// A one-node game answers "join the game first" to an input from a session that never joined.

import { createHash, randomBytes } from 'node:crypto';
import {
  CHANNELS,
  type GameRoster,
  type GameState,
  type GameWelcome,
  PALETTE,
  type RosterPlayer,
} from '../shared/protocol.js';
import type { Lease } from './cluster.js';
import { WORLD, World } from './game-world.js';
import { cleanNick } from './text.js';

export { WORLD } from './game-world.js';

/** Publish and (server-side) subscribe on the Bayeux hub: the nodes of a cluster talk through it. */
export interface GameHub {
  publish(channel: string, data: unknown): Promise<number>;
  subscribe(channel: string, handler: (data: unknown) => void): Promise<unknown>;
}

export interface GameLimits {
  maxPlayers: number;
  gameTickMs: number;
  gameLeaseMs: number;
  maxNickLength: number;
}

export class GameError extends Error {}

/** How a relayed input names its player: a digest of the session, not the session id itself. */
function ownerDigest(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 22);
}

interface Relayed {
  owner: string;
  dx: number;
  dy: number;
}

function isRelayed(data: unknown): data is Relayed {
  const r = data as Relayed;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.owner === 'string' &&
    Number.isFinite(r.dx) &&
    Number.isFinite(r.dy)
  );
}

/** A node's roster is re-announced this often even when nothing changed: its liveness. */
export const ROSTER_HEARTBEAT_MS = 1000;
/** A roster not heard from for this long is a dead node's: its players leave the world. */
export const ROSTER_TTL_MS = 3500;

interface Heard {
  players: RosterPlayer[];
  at: number;
}

function isRoster(data: unknown, maxPlayers: number): data is GameRoster {
  const r = data as GameRoster;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.node === 'string' &&
    Array.isArray(r.players) &&
    r.players.length <= maxPlayers &&
    r.players.every(
      (p) =>
        typeof p?.id === 'string' &&
        typeof p.nick === 'string' &&
        typeof p.color === 'string' &&
        Number.isFinite(p.dx) &&
        Number.isFinite(p.dy),
    )
  );
}

export class Game {
  /** This node's players, by the Bayeux client id that joined. */
  readonly #local = new Map<string, RosterPlayer>();
  /** The same players by the digest relayed inputs name them with (ownerDigest). */
  readonly #byDigest = new Map<string, RosterPlayer>();
  /** Every other node's last roster (bounded: at most maxPlayers nodes, each with players). */
  readonly #rosters = new Map<string, Heard>();
  readonly #world = new World();
  readonly #node = randomBytes(9).toString('base64url');
  readonly #limits: GameLimits;
  readonly #hub: GameHub;
  readonly #lease: Lease;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #leader = false;
  #claiming = false;
  #lastClaim = 0;
  #dirty = false;
  #lastAnnounce = 0;
  #lastState: GameState | undefined;
  #closed = false;
  readonly ready: Promise<void>;

  constructor(limits: GameLimits, hub: GameHub, lease: Lease, onError: (err: unknown) => void) {
    this.#limits = limits;
    this.#hub = hub;
    this.#lease = lease;
    this.#onError = onError;
    this.ready = Promise.all([
      hub.subscribe(CHANNELS.gameRoster, (data) => this.#heard(data)),
      hub.subscribe(CHANNELS.gameRelay, (data) => this.#relayed(data)),
      hub.subscribe(CHANNELS.gameState, (data) => {
        this.#lastState = data as GameState;
      }),
    ]).then(() => undefined);
    this.ready.catch(onError);
  }

  /** Players that joined through this node. */
  get playerCount(): number {
    return this.#local.size;
  }

  /** Whether this node ticks (it has players). */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Whether this node steps the world now. */
  get leader(): boolean {
    return this.#leader;
  }

  /** Players in the cluster as this node knows them: its own, and every live roster heard. */
  players(now = Date.now()): RosterPlayer[] {
    const all = [...this.#local.values()];
    for (const [node, heard] of this.#rosters) {
      if (now - heard.at > ROSTER_TTL_MS) this.#rosters.delete(node);
      else all.push(...heard.players);
    }
    return all.slice(0, this.#limits.maxPlayers);
  }

  join(key: string, rawNick: unknown): GameWelcome {
    const nick = cleanNick(rawNick, this.#limits.maxNickLength);
    if (nick === null) throw new GameError(`a nickname is 1-${this.#limits.maxNickLength} characters`);
    let player = this.#local.get(key);
    if (player === undefined) {
      const everyone = this.players();
      if (everyone.length >= this.#limits.maxPlayers) {
        throw new GameError(`the game is full (${this.#limits.maxPlayers} players); try again soon`);
      }
      player = { id: randomBytes(6).toString('base64url'), nick, color: leastUsed(everyone), dx: 0, dy: 0 };
      this.#local.set(key, player);
      this.#byDigest.set(ownerDigest(key), player);
    } else player.nick = nick;
    this.#dirty = true;
    this.#start();
    return { id: player.id, color: player.color, tickMs: this.#limits.gameTickMs, world: { ...WORLD } };
  }

  /** Steering: a direction, clamped to length 1. */
  input(key: string, data: unknown): void {
    const { dx, dy } = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    if (typeof dx !== 'number' || typeof dy !== 'number' || !Number.isFinite(dx) || !Number.isFinite(dy)) {
      throw new GameError('input is {dx, dy} numbers');
    }
    const player = this.#local.get(key);
    if (player !== undefined) {
      this.#steer(player, dx, dy);
      return;
    }
    // Not joined here: with no other node heard from, nobody owns it; else its owner may be another node.
    this.players(); // drops the rosters of nodes not heard from for ROSTER_TTL_MS
    if (this.#rosters.size === 0) throw new GameError('join the game first');
    const relayed: Relayed = { owner: ownerDigest(key), dx, dy };
    this.#hub.publish(CHANNELS.gameRelay, relayed).then(() => undefined, this.#onError);
  }

  #relayed(data: unknown): void {
    if (!isRelayed(data)) return;
    const player = this.#byDigest.get(data.owner);
    if (player !== undefined) this.#steer(player, data.dx, data.dy);
  }

  #steer(player: RosterPlayer, dx: number, dy: number): void {
    const length = Math.hypot(dx, dy);
    const scale = length > 1 ? 1 / length : 1;
    player.dx = dx * scale;
    player.dy = dy * scale;
    // Announced with the next tick: however fast inputs come, a node sends at most one roster a tick.
    this.#dirty = true;
  }

  leave(key: string): void {
    if (!this.#local.delete(key)) return;
    this.#byDigest.delete(ownerDigest(key));
    this.#dirty = true;
    if (this.#local.size === 0) void this.#stop();
  }

  /** One server tick of the world (the leader's): move, collect. Public so tests can step the world. */
  step(): GameState {
    return this.#world.step(this.players(), this.#limits.gameTickMs);
  }

  #heard(data: unknown): void {
    if (!isRoster(data, this.#limits.maxPlayers) || data.node === this.#node) return;
    if (data.players.length === 0) this.#rosters.delete(data.node);
    else if (this.#rosters.has(data.node) || this.#rosters.size < this.#limits.maxPlayers) {
      this.#rosters.set(data.node, { players: data.players, at: Date.now() });
    }
  }

  #announce(): Promise<void> {
    this.#dirty = false;
    this.#lastAnnounce = Date.now();
    const roster: GameRoster = { node: this.#node, players: [...this.#local.values()] };
    return this.#hub.publish(CHANNELS.gameRoster, roster).then(() => undefined, this.#onError);
  }

  #claim(): void {
    if (this.#claiming || this.#closed) return;
    this.#claiming = true;
    this.#lastClaim = Date.now();
    this.#lease
      .hold(this.#node, this.#limits.gameLeaseMs)
      .then(
        (held) => {
          // Taking over: continue the world the last leader published, not a new one.
          if (held && !this.#leader && this.#lastState !== undefined) this.#world.seed(this.#lastState);
          this.#leader = held && this.#timer !== undefined;
          // Stopped while asking: give it back rather than sit on it until it lapses.
          if (held && this.#timer === undefined) this.#lease.release(this.#node).catch(this.#onError);
        },
        (err: unknown) => {
          // Cannot tell whether the lease is still ours: stop stepping rather than risk two worlds.
          this.#leader = false;
          this.#onError(err);
        },
      )
      .finally(() => {
        this.#claiming = false;
      });
  }

  #tick(): void {
    const now = Date.now();
    if (this.#dirty || now - this.#lastAnnounce >= ROSTER_HEARTBEAT_MS) void this.#announce();
    if (now - this.#lastClaim >= this.#limits.gameLeaseMs / 4) this.#claim();
    if (this.#leader) this.#hub.publish(CHANNELS.gameState, this.step()).catch(this.#onError);
  }

  #start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => this.#tick(), this.#limits.gameTickMs);
    this.#timer.unref();
    this.#claim();
  }

  #stop(): Promise<void> {
    if (this.#timer === undefined) return Promise.resolve();
    clearInterval(this.#timer);
    this.#timer = undefined;
    const wasLeader = this.#leader;
    this.#leader = false;
    // The others drop this node's players now (not after ROSTER_TTL_MS) and the next takes the world at once.
    return Promise.all([
      this.#announce(),
      wasLeader ? this.#lease.release(this.#node).catch(this.#onError) : undefined,
    ]).then(() => undefined);
  }

  /** Leaves the game: this node's players go, the lease is given back. */
  close(): Promise<void> {
    this.#local.clear();
    this.#closed = true;
    return this.#stop();
  }
}

/** A colour no one (or the fewest) in the game wears. */
function leastUsed(players: readonly RosterPlayer[]): string {
  const uses = new Map<string, number>(PALETTE.map((c) => [c, 0]));
  for (const p of players) if (uses.has(p.color)) uses.set(p.color, (uses.get(p.color) ?? 0) + 1);
  let best: string = PALETTE[0];
  for (const [color, n] of uses) if (n < (uses.get(best) ?? 0)) best = color;
  return best;
}
