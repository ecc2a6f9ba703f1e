// The demo server's bounded stores and checks, each limit crossed by exactly one.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChatError, ChatRooms } from '../src/server/chat.js';
import { Game, GameError, WORLD } from '../src/server/game.js';
import { DEMO_DEFAULTS, resolveDemoOptions } from '../src/server/options.js';
import { PhotoStore } from '../src/server/photos.js';
import { RateLimiter } from '../src/server/rate.js';
import { cleanNick, cleanText } from '../src/server/text.js';
import { BoardError, Whiteboard } from '../src/server/whiteboard.js';
import type { ChatMessage, Photo } from '../src/shared/protocol.js';

function recorder() {
  const published: [string, unknown][] = [];
  return {
    published,
    publish: async (channel: string, data: unknown) => {
      published.push([channel, data]);
      return 1;
    },
  };
}

const chatLimits = (over: Partial<Record<keyof typeof DEMO_DEFAULTS, number>> = {}) => ({
  ...DEMO_DEFAULTS,
  ...over,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ChatRooms', () => {
  it('announces joins and leaves with the member list, sorted', () => {
    const pub = recorder();
    const rooms = new ChatRooms(chatLimits(), pub, (e) => {
      throw e;
    });
    rooms.join('a', 'lobby', 'zed', 'websocket');
    const welcome = rooms.join('b', 'lobby', 'amy', 'short-polling');
    expect(welcome.members).toEqual([
      { nick: 'amy', technique: 'short-polling' },
      { nick: 'zed', technique: 'websocket' },
    ]);
    rooms.leave('a');
    expect(
      pub.published.map(([c, d]) => [c, (d as { event: string }).event, (d as { nick: string }).nick]),
    ).toEqual([
      ['/chat/lobby/presence', 'join', 'zed'],
      ['/chat/lobby/presence', 'join', 'amy'],
      ['/chat/lobby/presence', 'leave', 'zed'],
    ]);
    expect(rooms.members('lobby')).toEqual([{ nick: 'amy', technique: 'short-polling' }]);
  });

  it('joining another room leaves the first one', () => {
    const pub = recorder();
    const rooms = new ChatRooms(chatLimits(), pub, () => undefined);
    rooms.join('a', 'one', 'ann', 'websocket');
    rooms.join('a', 'two', 'ann', 'websocket');
    expect(rooms.members('one')).toEqual([]);
    expect(rooms.membership('a')).toEqual({ room: 'two', nick: 'ann' });
  });

  it('stamps the nickname from the membership, never from the data', () => {
    const rooms = new ChatRooms(chatLimits(), recorder(), () => undefined);
    rooms.join('a', 'lobby', 'ann', 'long-polling');
    const m = rooms.message('a', 'lobby', { text: '  hi  ', nick: 'mallory' });
    expect(m).toMatchObject({ nick: 'ann', text: 'hi', technique: 'long-polling' });
    expect(() => rooms.message('a', 'other', { text: 'x' })).toThrow(ChatError);
    expect(() => rooms.message('nobody', 'lobby', { text: 'x' })).toThrow(/join the room/);
  });

  it('maxNickLength and maxMessageLength crossed by one (in characters, not UTF-16 units)', () => {
    const rooms = new ChatRooms(
      chatLimits({ maxNickLength: 4, maxMessageLength: 5 }),
      recorder(),
      () => undefined,
    );
    expect(rooms.join('a', 'lobby', '😀😀😀😀', 'websocket').nick).toBe('😀😀😀😀');
    expect(() => rooms.join('b', 'lobby', 'abcde', 'websocket')).toThrow(/1-4 characters/);
    expect(rooms.message('a', 'lobby', { text: '12345' }).text).toBe('12345');
    expect(() => rooms.message('a', 'lobby', { text: '123456' })).toThrow(/1-5 characters/);
    expect(() => rooms.message('a', 'lobby', { text: '   ' })).toThrow(ChatError);
  });

  it('refuses bad room names and nicknames of nothing but invisible characters', () => {
    const rooms = new ChatRooms(chatLimits(), recorder(), () => undefined);
    for (const room of ['', 'Lobby', 'a/b', '*', '-x', 'x'.repeat(25), 42]) {
      expect(() => rooms.join('a', room, 'ann', 'websocket')).toThrow(/room name/);
    }
    expect(() => rooms.join('a', 'lobby', '\u200b\u202e\u0007', 'websocket')).toThrow(/nickname/);
  });

  it('chatRatePer10s crossed by one, and the window slides', () => {
    vi.useFakeTimers();
    const rooms = new ChatRooms(chatLimits({ chatRatePer10s: 3 }), recorder(), () => undefined);
    rooms.join('a', 'lobby', 'ann', 'websocket');
    for (let i = 0; i < 3; i++) rooms.message('a', 'lobby', { text: `m${i}` });
    expect(() => rooms.message('a', 'lobby', { text: 'one too many' })).toThrow(/slow down: at most 3/);
    // Moving to another room does not reset the window.
    rooms.join('a', 'other', 'ann', 'websocket');
    expect(() => rooms.message('a', 'other', { text: 'still too many' })).toThrow(/slow down/);
    vi.advanceTimersByTime(10_000);
    expect(rooms.message('a', 'other', { text: 'again' }).text).toBe('again');
  });

  it('typingRatePer10s crossed by one', () => {
    const rooms = new ChatRooms(chatLimits({ typingRatePer10s: 2 }), recorder(), () => undefined);
    rooms.join('a', 'lobby', 'ann', 'websocket');
    expect(rooms.typing('a', 'lobby', { typing: true })).toEqual({ nick: 'ann', typing: true });
    expect(rooms.typing('a', 'lobby', { typing: 'yes' })).toEqual({ nick: 'ann', typing: false });
    expect(() => rooms.typing('a', 'lobby', { typing: true })).toThrow(/at most 2 typing events/);
  });

  it('chatRecent crossed by one drops the oldest', () => {
    const rooms = new ChatRooms(chatLimits({ chatRecent: 3 }), recorder(), () => undefined);
    rooms.join('a', 'lobby', 'ann', 'websocket');
    const sent: ChatMessage[] = [];
    for (let i = 0; i < 4; i++) {
      const m = rooms.message('a', 'lobby', { text: `m${i}` });
      sent.push(m);
      rooms.record('lobby', m);
      if (i === 2) expect(rooms.recent('lobby').map((x) => x.text)).toEqual(['m0', 'm1', 'm2']);
    }
    expect(rooms.recent('lobby').map((x) => x.text)).toEqual(['m1', 'm2', 'm3']);
    // A newcomer's welcome carries them.
    expect(rooms.join('b', 'lobby', 'bob', 'websocket').recent.map((x) => x.text)).toEqual([
      'm1',
      'm2',
      'm3',
    ]);
  });

  it('chatRecentBytes crossed by one byte drops the oldest', () => {
    const msg = (i: number): ChatMessage => ({
      id: `id${i}`,
      nick: 'ann',
      text: 'x',
      ts: 1,
      technique: 'websocket',
    });
    const size = Buffer.byteLength(JSON.stringify(msg(1)));
    const exact = new ChatRooms(chatLimits({ chatRecentBytes: size * 2 }), recorder(), () => undefined);
    exact.join('a', 'lobby', 'ann', 'websocket');
    exact.record('lobby', msg(1));
    exact.record('lobby', msg(2));
    expect(exact.recent('lobby')).toHaveLength(2);
    const short = new ChatRooms(chatLimits({ chatRecentBytes: size * 2 - 1 }), recorder(), () => undefined);
    short.join('a', 'lobby', 'ann', 'websocket');
    short.record('lobby', msg(1));
    short.record('lobby', msg(2));
    expect(short.recent('lobby').map((m) => m.id)).toEqual(['id2']);
  });

  it('maxRooms crossed by one: an empty room is forgotten, else the join is refused', () => {
    const rooms = new ChatRooms(chatLimits({ maxRooms: 2 }), recorder(), () => undefined);
    rooms.join('a', 'one', 'ann', 'websocket');
    rooms.join('b', 'two', 'bob', 'websocket');
    expect(() => rooms.join('c', 'three', 'cat', 'websocket')).toThrow(/maxRooms 2/);
    rooms.leave('a');
    rooms.join('c', 'three', 'cat', 'websocket');
    expect(rooms.roomCount).toBe(2);
  });
});

describe('RateLimiter', () => {
  it('maxKeys crossed by one forgets the oldest key', () => {
    const rate = new RateLimiter(1, 10_000, 2);
    expect(rate.take('a', 0)).toBe(true);
    expect(rate.take('b', 0)).toBe(true);
    expect(rate.take('a', 1)).toBe(false);
    expect(rate.take('c', 1)).toBe(true);
    expect(rate.size).toBe(2);
    // 'a' was forgotten: it starts afresh.
    expect(rate.take('a', 2)).toBe(true);
  });
});

describe('text cleaning', () => {
  it('keeps markup as text (the pages use textContent) but drops control and bidi characters', () => {
    expect(cleanNick('<img src=x onerror=alert(1)>', 40)).toBe('<img src=x onerror=alert(1)>');
    expect(cleanNick('a\u202eb\u0000c', 10)).toBe('abc');
    expect(cleanText('line1\nline2', 20)).toBe('line1 line2');
  });
});

describe('Whiteboard', () => {
  const stroke = (id: string, points = [0, 0, 0.5, 0.5]) => ({ id, color: '#e4572e', width: 4, points });

  it('maxStrokePoints crossed by one', () => {
    const board = new Whiteboard({ ...DEMO_DEFAULTS, maxStrokePoints: 3 });
    expect(board.check(stroke('a', [0, 0, 0.1, 0.1, 0.2, 0.2])).points).toHaveLength(6);
    expect(() => board.check(stroke('a', [0, 0, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3]))).toThrow(/at most 3 points/);
  });

  it('refuses what is not a stroke', () => {
    const board = new Whiteboard(DEMO_DEFAULTS);
    expect(() => board.check({ ...stroke('a'), color: 'red;background:url(x)' })).toThrow(BoardError);
    expect(() => board.check({ ...stroke('a'), width: 41 })).toThrow(/width/);
    expect(() => board.check(stroke('a', [0, 0, 1.01, 0]))).toThrow(/0 to 1/);
    expect(() => board.check(stroke('a', [0, 0, 1]))).toThrow(/points/);
    expect(() => board.check(stroke('<b>'))).toThrow(/id/);
    expect(() => board.check(null)).toThrow(BoardError);
  });

  it('strokeRatePer10s crossed by one, per drawer, and the window slides', () => {
    vi.useFakeTimers();
    const board = new Whiteboard({ ...DEMO_DEFAULTS, strokeRatePer10s: 2 });
    board.allow('a');
    board.allow('a');
    expect(() => board.allow('a')).toThrow(/slow down: at most 2 stroke pieces/);
    board.allow('b');
    vi.advanceTimersByTime(10_000);
    board.allow('a');
    board.forget('a');
  });

  it('maxStrokes crossed by one drops the oldest; clear empties it', () => {
    const board = new Whiteboard({ ...DEMO_DEFAULTS, maxStrokes: 2 });
    board.add(board.check(stroke('a')));
    board.add(board.check(stroke('b')));
    expect(board.strokes().map((s) => s.id)).toEqual(['a', 'b']);
    board.add(board.check(stroke('c')));
    expect(board.strokes().map((s) => s.id)).toEqual(['b', 'c']);
    board.clear();
    expect(board.size).toBe(0);
    expect(board.bytes).toBe(0);
  });

  it('maxBoardBytes crossed by one byte drops the oldest', () => {
    const size = Buffer.byteLength(JSON.stringify(stroke('a')));
    const fits = new Whiteboard({ ...DEMO_DEFAULTS, maxBoardBytes: 2 * size });
    fits.add(stroke('a'));
    fits.add(stroke('b'));
    expect(fits.size).toBe(2);
    const over = new Whiteboard({ ...DEMO_DEFAULTS, maxBoardBytes: 2 * size - 1 });
    over.add(stroke('a'));
    over.add(stroke('b'));
    expect(over.strokes().map((s) => s.id)).toEqual(['b']);
  });
});

describe('PhotoStore', () => {
  const photo = (id: string, size: number): [Photo, Buffer] => [
    { id, nick: 'n', name: 'p.png', type: 'image/png', size, thumbnail: null, url: `/photos/${id}`, ts: 1 },
    Buffer.alloc(size),
  ];

  it('photosKept crossed by one drops the oldest', () => {
    const store = new PhotoStore({ ...DEMO_DEFAULTS, photosKept: 2 });
    store.add(...photo('a', 10));
    store.add(...photo('b', 10));
    expect(store.recent().map((p) => p.id)).toEqual(['a', 'b']);
    store.add(...photo('c', 10));
    expect(store.recent().map((p) => p.id)).toEqual(['b', 'c']);
    expect(store.get('a')).toBeUndefined();
  });

  it('maxPhotoStoreBytes crossed by one byte drops the oldest (the newest always stays)', () => {
    const fits = new PhotoStore({ ...DEMO_DEFAULTS, maxPhotoStoreBytes: 20 });
    fits.add(...photo('a', 10));
    fits.add(...photo('b', 10));
    expect(fits.size).toBe(2);
    const over = new PhotoStore({ ...DEMO_DEFAULTS, maxPhotoStoreBytes: 19 });
    over.add(...photo('a', 10));
    over.add(...photo('b', 10));
    expect(over.recent().map((p) => p.id)).toEqual(['b']);
    expect(over.bytes).toBe(10);
  });
});

describe('Game', () => {
  it('maxPlayers crossed by one', () => {
    const game = new Game({ ...DEMO_DEFAULTS, maxPlayers: 2 }, recorder(), () => undefined);
    game.join('a', 'ann');
    game.join('b', 'bob');
    expect(() => game.join('c', 'cat')).toThrow(/full \(2 players\)/);
    game.leave('a');
    expect(game.join('c', 'cat').id).toMatch(/^[\w-]+$/);
    game.close();
  });

  it('a tick moves a steering player by speed x tick, clamped to the world', () => {
    const game = new Game(DEMO_DEFAULTS, recorder(), () => undefined);
    const { id } = game.join('a', 'ann');
    const before = game.step().players.find((p) => p.id === id)!;
    game.input('a', { dx: 10, dy: 0 }); // clamped to length 1
    const after = game.step().players.find((p) => p.id === id)!;
    const expected = Math.min(WORLD.width - 16, before.x + (240 * DEMO_DEFAULTS.gameTickMs) / 1000);
    expect(after.x).toBeCloseTo(expected, 0);
    expect(after.y).toBe(before.y);
    expect(() => game.input('nobody', { dx: 1, dy: 0 })).toThrow(GameError);
    expect(() => game.input('a', { dx: 'x', dy: 0 })).toThrow(/numbers/);
    game.close();
  });

  it('ticks (publishes /game/state) only while someone plays', () => {
    vi.useFakeTimers();
    const pub = recorder();
    const game = new Game(DEMO_DEFAULTS, pub, () => undefined);
    expect(game.running).toBe(false);
    game.join('a', 'ann');
    vi.advanceTimersByTime(DEMO_DEFAULTS.gameTickMs * 3);
    expect(pub.published.filter(([c]) => c === '/game/state')).toHaveLength(3);
    game.leave('a');
    expect(game.running).toBe(false);
    vi.advanceTimersByTime(DEMO_DEFAULTS.gameTickMs * 3);
    expect(pub.published).toHaveLength(3);
  });
});

describe('options', () => {
  it('refuses nonsense limits early', () => {
    expect(() => resolveDemoOptions({ maxPhotoBytes: 0 })).toThrow(/maxPhotoBytes/);
    expect(() => resolveDemoOptions({ chatRecent: 1.5 })).toThrow(/chatRecent/);
    expect(resolveDemoOptions({ port: 0 }).port).toBe(0);
    expect(resolveDemoOptions({}).maxPhotoBytes).toBe(5 * 1024 * 1024);
    expect(resolveDemoOptions({ mount: '/cometd/x' }).mount).toBe('/cometd/x');
    for (const mount of ['bayeux', '/', '/a"b', '/chat', '/photos/x', '/a//b', '/a b']) {
      expect(() => resolveDemoOptions({ mount }), mount).toThrow(/option mount/);
    }
  });
});
