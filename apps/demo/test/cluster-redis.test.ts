// What the demo keeps in the engine's Redis (cluster.ts), on the real local Redis (unique key prefix, cleaned
// up): the photo store's bounds, enforced in one Lua script, crossed by one, the bytes back exactly; the game's
// lease held by one owner at a time, renewed, released, lapsing after its TTL. A missing Redis fails the file.
import { randomBytes } from 'node:crypto';
import { IoredisPort } from '@pushwire/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCluster } from '../src/server/cluster.js';
import type { StoredPhoto } from '../src/server/photo-store.js';
import { RedisPhotoStore } from '../src/server/photo-store-redis.js';

const prefix = `demo-photos-test-${randomBytes(6).toString('hex')}`;
let port: IoredisPort;

beforeAll(async () => {
  port = new IoredisPort({ url: 'redis://127.0.0.1:6379', maxRetriesPerRequest: 1, connectTimeout: 3000 });
  // Fails (never skips) without Redis: the demo's cluster mode depends on it.
  await port.batch([['PING']]);
});
afterAll(async () => {
  const [keys] = (await port.batch([['KEYS', `${prefix}*`]])) as [string[]];
  if (keys.length > 0) await port.batch([['DEL', ...keys]]);
  await port.close();
});

const photo = (size: number, fill = 7): StoredPhoto => ({
  type: 'image/webp',
  bytes: Buffer.alloc(size, fill),
});
/** What one stored photo of `size` bytes costs in Redis: `type\nbase64`. */
const stored = (size: number): number => 'image/webp\n'.length + Math.ceil(size / 3) * 4;
let n = 0;
const store = (limits: { photosKept: number; maxPhotoStoreBytes: number }) =>
  new RedisPhotoStore(port, `${prefix}-${n++}`, limits);

describe('RedisPhotoStore', () => {
  it('gives the bytes back exactly, with their type; an unknown id is undefined', async () => {
    const s = store({ photosKept: 12, maxPhotoStoreBytes: 1 << 20 });
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));
    await s.add('one', { type: 'image/gif', bytes });
    const back = await s.get('one');
    expect(back?.type).toBe('image/gif');
    expect(back?.bytes.equals(bytes)).toBe(true);
    expect(await s.get('two')).toBeUndefined();
    expect(await s.usage()).toEqual({ count: 1, bytes: 'image/gif\n'.length + Math.ceil(1000 / 3) * 4 });
  });

  it('photosKept crossed by one evicts the oldest', async () => {
    const s = store({ photosKept: 2, maxPhotoStoreBytes: 1 << 20 });
    await s.add('a', photo(30));
    await s.add('b', photo(30));
    expect((await s.usage()).count).toBe(2);
    await s.add('c', photo(30));
    expect(await s.get('a')).toBeUndefined();
    expect((await s.get('b'))?.bytes.length).toBe(30);
    expect(await s.usage()).toEqual({ count: 2, bytes: 2 * stored(30) });
  });

  it('maxPhotoStoreBytes crossed by one byte evicts the oldest; the newest always stays', async () => {
    const fits = store({ photosKept: 12, maxPhotoStoreBytes: 2 * stored(30) });
    await fits.add('a', photo(30));
    await fits.add('b', photo(30));
    expect((await fits.usage()).count).toBe(2);
    const over = store({ photosKept: 12, maxPhotoStoreBytes: 2 * stored(30) - 1 });
    await over.add('a', photo(30));
    await over.add('b', photo(30));
    expect(await over.get('a')).toBeUndefined();
    expect(await over.usage()).toEqual({ count: 1, bytes: stored(30) });
    await over.add('big', photo(3000));
    expect(await over.usage()).toEqual({ count: 1, bytes: stored(3000) });
    expect((await over.get('big'))?.bytes.length).toBe(3000);
  });

  it('stores the same id once', async () => {
    const s = store({ photosKept: 12, maxPhotoStoreBytes: 1 << 20 });
    await s.add('a', photo(30, 1));
    await s.add('a', photo(30, 2));
    expect(await s.usage()).toEqual({ count: 1, bytes: stored(30) });
    expect((await s.get('a'))?.bytes[0]).toBe(1);
  });
});

describe('the game lease in Redis', () => {
  it('one owner at a time: renewed by its owner, released only by it, free again after its TTL', async () => {
    const lease = redisCluster(port, `${prefix}-lease`).lease('game');
    expect(await lease.hold('a', 60_000)).toBe(true);
    expect(await lease.hold('b', 60_000)).toBe(false);
    expect(await lease.hold('a', 60_000)).toBe(true);
    await lease.release('b');
    expect(await lease.hold('b', 60_000)).toBe(false);
    await lease.release('a');
    expect(await lease.hold('b', 60_000)).toBe(true);
    const [ttl] = await port.batch([['PTTL', `${prefix}-lease:demo:lease:game`]]);
    expect(Number(ttl)).toBeGreaterThan(50_000);
    // A short TTL lapses in Redis itself (a dead holder): polled, generous bound, no timing asserted.
    expect(await lease.hold('b', 100)).toBe(true);
    const started = Date.now();
    while (!(await lease.hold('c', 60_000))) {
      if (Date.now() - started > 10_000) throw new Error('the lease never lapsed');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await lease.hold('b', 60_000)).toBe(false);
  });
});
