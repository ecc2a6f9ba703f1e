// The game's world and its cluster rules, on a fake hub (every node's publishes reach every node) with fake
// timers: one node steps the world, another node's players are in it, and when the stepping node dies the
// next one continues the same world after gameLeaseMs. Over real nodes and Redis: cluster.test.ts.
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { type Lease, MemoryLease } from '../src/server/cluster.js';
import { Game, GameError, type GameHub, ROSTER_TTL_MS, WORLD } from '../src/server/game.js';
import { DEMO_DEFAULTS } from '../src/server/options.js';
import { CHANNELS, type GameState } from '../src/shared/protocol.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A hub shared by several nodes; `cut(node)` makes a node's publishes vanish (a node that died). */
function fakeHub() {
  const handlers = new Map<string, ((data: unknown) => void)[]>();
  const published: [string, unknown][] = [];
  const cut = new Set<string>();
  const node = (name: string): GameHub => ({
    publish: async (channel, data) => {
      if (cut.has(name)) return 0;
      published.push([channel, data]);
      for (const h of handlers.get(channel) ?? []) h(structuredClone(data));
      return 1;
    },
    subscribe: async (channel, handler) => {
      handlers.set(channel, [...(handlers.get(channel) ?? []), handler]);
    },
  });
  return { node, published, cut, states: () => published.filter(([c]) => c === CHANNELS.gameState) };
}

const tick = DEMO_DEFAULTS.gameTickMs;
const noError = (err: unknown) => {
  throw err;
};

describe('Game on one node', () => {
  it('maxPlayers crossed by one', () => {
    const game = new Game(
      { ...DEMO_DEFAULTS, maxPlayers: 2 },
      fakeHub().node('a'),
      new MemoryLease(),
      noError,
    );
    game.join('a', 'ann');
    game.join('b', 'bob');
    expect(() => game.join('c', 'cat')).toThrow(/full \(2 players\)/);
    game.leave('a');
    expect(game.join('c', 'cat').id).toMatch(/^[\w-]+$/);
    void game.close();
  });

  it('a tick moves a steering player by speed x tick, clamped to the world', () => {
    const game = new Game(DEMO_DEFAULTS, fakeHub().node('a'), new MemoryLease(), noError);
    const { id } = game.join('a', 'ann');
    const before = game.step().players.find((p) => p.id === id)!;
    game.input('a', { dx: 10, dy: 0 }); // clamped to length 1
    const after = game.step().players.find((p) => p.id === id)!;
    const expected = Math.min(WORLD.width - 16, before.x + (240 * tick) / 1000);
    expect(after.x).toBeCloseTo(expected, 0);
    expect(after.y).toBe(before.y);
    expect(() => game.input('nobody', { dx: 1, dy: 0 })).toThrow(GameError);
    expect(() => game.input('a', { dx: 'x', dy: 0 })).toThrow(/numbers/);
    void game.close();
  });

  it('ticks (publishes /game/state) only while someone plays; inputs are announced at most once a tick', async () => {
    vi.useFakeTimers();
    const hub = fakeHub();
    const game = new Game(DEMO_DEFAULTS, hub.node('a'), new MemoryLease(), noError);
    await game.ready;
    expect(game.running).toBe(false);
    game.join('a', 'ann');
    await vi.advanceTimersByTimeAsync(tick * 3);
    expect(game.leader).toBe(true);
    expect(hub.states()).toHaveLength(3);
    const rosters = () => hub.published.filter(([c]) => c === CHANNELS.gameRoster).length;
    const before = rosters();
    for (let i = 0; i < 50; i++) game.input('a', { dx: i % 2, dy: 0 });
    await vi.advanceTimersByTimeAsync(tick);
    expect(rosters()).toBe(before + 1);
    game.leave('a');
    expect(game.running).toBe(false);
    await vi.advanceTimersByTimeAsync(tick * 3);
    expect(hub.states()).toHaveLength(4);
  });
});

describe('Game on several nodes (one world)', () => {
  it("one node steps the world with the other node's players in it; the lease lapses after gameLeaseMs and the next node continues it", async () => {
    vi.useFakeTimers();
    // Players spawn at random: one that spawned at the right wall could not be seen moving right. A quarter
    // of the way in leaves room for every step below.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.25);
    onTestFinished(() => random.mockRestore());
    const hub = fakeHub();
    const lease = new MemoryLease();
    // Node a's lease calls hang once it "dies": it can no longer renew, as a crashed process.
    let aDead = false;
    const aLease: Lease = {
      hold: (owner, ttl) => (aDead ? new Promise<boolean>(() => undefined) : lease.hold(owner, ttl)),
      release: (owner) => lease.release(owner),
    };
    const limits = { ...DEMO_DEFAULTS, gameLeaseMs: 2000 };
    const a = new Game(limits, hub.node('a'), aLease, noError);
    const b = new Game(limits, hub.node('b'), lease, noError);
    await Promise.all([a.ready, b.ready]);
    const ann = a.join('c1', 'ann');
    await vi.advanceTimersByTimeAsync(tick);
    const bob = b.join('c2', 'bob');
    b.input('c2', { dx: 1, dy: 0 });
    await vi.advanceTimersByTimeAsync(tick * 4);
    expect([a.leader, b.leader]).toEqual([true, false]);
    const last = (): GameState => hub.states().at(-1)?.[1] as GameState;
    expect(
      last()
        .players.map((p) => p.nick)
        .sort(),
    ).toEqual(['ann', 'bob']);
    // bob steers right on b; a's world moves him.
    const x0 = last().players.find((p) => p.id === bob.id)!.x;
    await vi.advanceTimersByTimeAsync(tick * 4);
    expect(last().players.find((p) => p.id === bob.id)!.x).toBeGreaterThan(x0);

    // a dies: nothing it publishes arrives, its lease is not renewed.
    aDead = true;
    hub.cut.add('a');
    const diedAt = Date.now();
    const lastTick = last().tick;
    // Just before the lease can have lapsed (a renewed it at most gameLeaseMs / 4 ago), b does not step.
    await vi.advanceTimersByTimeAsync(limits.gameLeaseMs - limits.gameLeaseMs / 4 - tick);
    expect(b.leader).toBe(false);
    expect(last().tick).toBe(lastTick);
    // Past gameLeaseMs (and b's next try), b steps the same world on: the tick and bob's score go on.
    await vi.advanceTimersByTimeAsync(limits.gameLeaseMs / 4 + 2 * tick + limits.gameLeaseMs / 4);
    expect(b.leader).toBe(true);
    expect(last().tick).toBeGreaterThan(lastTick);
    expect(last().players.map((p) => p.id)).toContain(ann.id);
    // a's players leave the world once its roster is ROSTER_TTL_MS old.
    await vi.advanceTimersByTimeAsync(diedAt + ROSTER_TTL_MS + tick * 2 - Date.now());
    expect(last().players.map((p) => p.id)).toEqual([bob.id]);
    await b.close();
  });

  it('a node that stops hands over at once: its players go and the lease is released', async () => {
    vi.useFakeTimers();
    const hub = fakeHub();
    const lease = new MemoryLease();
    const a = new Game(DEMO_DEFAULTS, hub.node('a'), lease, noError);
    const b = new Game(DEMO_DEFAULTS, hub.node('b'), lease, noError);
    await Promise.all([a.ready, b.ready]);
    a.join('c1', 'ann');
    await vi.advanceTimersByTimeAsync(tick);
    const bob = b.join('c2', 'bob');
    await vi.advanceTimersByTimeAsync(tick * 3);
    expect([a.leader, b.leader]).toEqual([true, false]);
    await a.close();
    // b's next try (every gameLeaseMs / 4) finds the lease free, well before gameLeaseMs.
    await vi.advanceTimersByTimeAsync(DEMO_DEFAULTS.gameLeaseMs / 4 + tick * 2);
    expect(b.leader).toBe(true);
    const state = hub.states().at(-1)?.[1] as GameState;
    expect(state.players.map((p) => p.id)).toEqual([bob.id]);
    await b.close();
  });

  it('steering that reaches another node (no stickiness) is relayed to the owner under a digest, never the session id', async () => {
    vi.useFakeTimers();
    const hub = fakeHub();
    const lease = new MemoryLease();
    const a = new Game(DEMO_DEFAULTS, hub.node('a'), lease, noError);
    const b = new Game(DEMO_DEFAULTS, hub.node('b'), lease, noError);
    await Promise.all([a.ready, b.ready]);
    const session = 'secret-bayeux-client-id';
    const ann = a.join(session, 'ann');
    await vi.advanceTimersByTimeAsync(tick * 3);
    const last = (): GameState => hub.states().at(-1)?.[1] as GameState;
    const x0 = last().players.find((p) => p.id === ann.id)!.x;
    // The player's next request lands on b, which never saw the join.
    b.input(session, { dx: 1, dy: 0 });
    await vi.advanceTimersByTimeAsync(tick * 4);
    expect(last().players.find((p) => p.id === ann.id)!.x).toBeGreaterThan(x0);
    const relays = hub.published.filter(([c]) => c === CHANNELS.gameRelay);
    expect(relays).toHaveLength(1);
    expect(JSON.stringify(hub.published)).not.toContain(session);
    // A relay naming nobody moves nobody; bad input is refused before any relay.
    b.input('never-joined', { dx: -1, dy: 0 });
    expect(() => b.input(session, { dx: 'x', dy: 0 })).toThrow(/numbers/);
    expect(hub.published.filter(([c]) => c === CHANNELS.gameRelay)).toHaveLength(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('counts every node’s players against maxPlayers', async () => {
    vi.useFakeTimers();
    const hub = fakeHub();
    const lease = new MemoryLease();
    const limits = { ...DEMO_DEFAULTS, maxPlayers: 2 };
    const a = new Game(limits, hub.node('a'), lease, noError);
    const b = new Game(limits, hub.node('b'), lease, noError);
    await Promise.all([a.ready, b.ready]);
    a.join('c1', 'ann');
    b.join('c2', 'bob');
    await vi.advanceTimersByTimeAsync(tick);
    expect(() => a.join('c3', 'cat')).toThrow(/full \(2 players\)/);
    await Promise.all([a.close(), b.close()]);
  });
});
