// The demo server's bounded stores and checks, each limit crossed by exactly one.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChatError, ChatRooms, chatPresenceInfo } from '../src/server/chat.js';
import { DEMO_DEFAULTS, resolveDemoOptions } from '../src/server/options.js';
import { MemoryPhotoStore, type StoredPhoto } from '../src/server/photo-store.js';
import { RateLimiter } from '../src/server/rate.js';
import { cleanNick, cleanText } from '../src/server/text.js';
import { BoardError, Whiteboard } from '../src/server/whiteboard.js';
import { type ChatInfo, chatMember, presenceEvent } from '../src/shared/protocol.js';

const chatLimits = (over: Partial<Record<keyof typeof DEMO_DEFAULTS, number>> = {}) => ({
  ...DEMO_DEFAULTS,
  ...over,
});

/** The rooms' checks need no hub: what is kept (history, presence) is tested on a real server (server.test.ts). */
const noHub = {
  history: () => Promise.reject(new Error('not used')),
  presence: () => Promise.reject(new Error('not used')),
  engine: { subscriptions: () => Promise.reject(new Error('not used')) },
};

afterEach(() => {
  vi.useRealTimers();
});

describe('ChatRooms', () => {
  const ann: ChatInfo = { nick: 'ann', technique: 'long-polling' };

  it('stamps the nickname and technique from the sender (presence info), never from the data', () => {
    const rooms = new ChatRooms(chatLimits(), noHub);
    const m = rooms.message('a', ann, { text: '  hi  ', nick: 'mallory', technique: 'raw-websocket' });
    expect(m).toMatchObject({ nick: 'ann', text: 'hi', technique: 'long-polling' });
    expect(m.id).toMatch(/^[A-Za-z0-9_-]{11}$/);
  });

  it('maxNickLength and maxMessageLength crossed by one (in characters, not UTF-16 units)', () => {
    const rooms = new ChatRooms(chatLimits({ maxNickLength: 4, maxMessageLength: 5 }), noHub);
    expect(rooms.check('lobby', '😀😀😀😀').nick).toBe('😀😀😀😀');
    expect(() => rooms.check('lobby', 'abcde')).toThrow(/1-4 characters/);
    expect(rooms.message('a', ann, { text: '12345' }).text).toBe('12345');
    expect(() => rooms.message('a', ann, { text: '123456' })).toThrow(/1-5 characters/);
    expect(() => rooms.message('a', ann, { text: '   ' })).toThrow(ChatError);
  });

  it('refuses bad room names and nicknames of nothing but invisible characters', () => {
    const rooms = new ChatRooms(chatLimits(), noHub);
    for (const room of ['', 'Lobby', 'a/b', '*', '-x', 'x'.repeat(25), 42]) {
      expect(() => rooms.check(room, 'ann')).toThrow(/room name/);
      expect(() => rooms.room(room)).toThrow(/room name/);
    }
    expect(() => rooms.check('lobby', '\u200b\u202e\u0007')).toThrow(/nickname/);
  });

  it('chatRatePer10s crossed by one, and the window slides; forget ends it', () => {
    vi.useFakeTimers();
    const rooms = new ChatRooms(chatLimits({ chatRatePer10s: 3 }), noHub);
    for (let i = 0; i < 3; i++) rooms.message('a', ann, { text: `m${i}` });
    expect(() => rooms.message('a', ann, { text: 'one too many' })).toThrow(/slow down: at most 3/);
    expect(rooms.message('b', ann, { text: 'another session' }).text).toBe('another session');
    vi.advanceTimersByTime(10_000);
    expect(rooms.message('a', ann, { text: 'again' }).text).toBe('again');
    for (let i = 0; i < 2; i++) rooms.message('a', ann, { text: `n${i}` });
    rooms.forget('a');
    expect(rooms.message('a', ann, { text: 'a new session' }).text).toBe('a new session');
  });

  it('typingRatePer10s crossed by one', () => {
    const rooms = new ChatRooms(chatLimits({ typingRatePer10s: 2 }), noHub);
    expect(rooms.typing('a', ann, { typing: true })).toEqual({ nick: 'ann', typing: true });
    expect(rooms.typing('a', ann, { typing: 'yes' })).toEqual({ nick: 'ann', typing: false });
    expect(() => rooms.typing('a', ann, { typing: true })).toThrow(/at most 2 typing events/);
  });

  it("presence info from a handshake's ext.chat: cleaned, bounded, a Bayeux technique, or null", () => {
    const info = chatPresenceInfo({ maxNickLength: 4 });
    const hs = (chat: unknown) => info({ channel: '/meta/handshake', ext: { chat } }, { transport: 'local' });
    expect(hs({ nick: ' ann\u202e ', technique: 'short-polling' })).toEqual({
      nick: 'ann',
      technique: 'short-polling',
    });
    expect(hs({ nick: '😀😀😀😀', technique: 'raw-websocket' })).toEqual({
      nick: '😀😀😀😀',
      technique: 'long-polling',
    });
    expect(hs({ nick: 'abcde', technique: 'websocket' })).toBeNull();
    expect(hs('ann')).toBeNull();
    expect(info({ channel: '/meta/handshake' }, { transport: 'local' })).toBeNull();
  });

  it('reads members and presence events: a member without chat info is anonymous', () => {
    expect(chatMember({ id: 'x', info: { nick: 'ann', technique: 'websocket' } })).toEqual({
      id: 'x',
      nick: 'ann',
      technique: 'websocket',
    });
    expect(chatMember({ id: 'y', info: null })).toEqual({ id: 'y', nick: 'anonymous', technique: null });
    expect(chatMember({ info: null })).toBeNull();
    expect(
      presenceEvent({
        action: 'leave',
        channel: '/chat/messages/a',
        member: { id: 'x', info: null },
        count: 0,
      }),
    ).toEqual({ event: 'leave', member: { id: 'x', nick: 'anonymous', technique: null }, count: 0 });
    expect(presenceEvent({ action: 'wave', member: { id: 'x' }, count: 1 })).toBeNull();
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
});

describe('MemoryPhotoStore (the full-size bytes on one node)', () => {
  const photo = (size: number): StoredPhoto => ({ type: 'image/png', bytes: Buffer.alloc(size) });

  it('photosKept crossed by one drops the oldest', () => {
    const store = new MemoryPhotoStore({ ...DEMO_DEFAULTS, photosKept: 2 });
    store.add('a', photo(10));
    store.add('b', photo(10));
    expect(store.size).toBe(2);
    store.add('c', photo(10));
    expect(store.get('a')).toBeUndefined();
    expect([store.get('b')?.bytes.length, store.get('c')?.bytes.length]).toEqual([10, 10]);
    expect(store.size).toBe(2);
  });

  it('maxPhotoStoreBytes crossed by one byte drops the oldest (the newest always stays)', () => {
    const fits = new MemoryPhotoStore({ ...DEMO_DEFAULTS, maxPhotoStoreBytes: 20 });
    fits.add('a', photo(10));
    fits.add('b', photo(10));
    expect(fits.size).toBe(2);
    const over = new MemoryPhotoStore({ ...DEMO_DEFAULTS, maxPhotoStoreBytes: 19 });
    over.add('a', photo(10));
    over.add('b', photo(10));
    expect(over.get('a')).toBeUndefined();
    expect(over.get('b')?.type).toBe('image/png');
    expect(over.bytes).toBe(10);
    over.add('big', photo(50));
    expect([over.size, over.bytes, over.get('big')?.bytes.length]).toEqual([1, 50, 50]);
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
