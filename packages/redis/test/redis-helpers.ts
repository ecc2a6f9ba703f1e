// Test helpers: the local Redis (127.0.0.1:6379, shared with other engineers: every test uses its own
// random prefix and deletes its keys after). In CI (env CI set) an unreachable Redis FAILS the tests;
// elsewhere they are skipped with a loud message.

import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.PUSHWIRE_TEST_REDIS ?? 'redis://127.0.0.1:6379';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** True when tests may run; throws in CI when Redis is missing; prints a loud warning elsewhere. */
export async function redisAvailable(url = REDIS_URL): Promise<boolean> {
  if (await reachable(url)) return true;
  if (process.env.CI)
    throw new Error(`Redis at ${url} is unreachable, and CI is set: the Redis tests must run`);
  process.stderr.write(
    `\n\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n` +
      `!! SKIPPING @pushwire/redis tests: no Redis at ${url}\n` +
      `!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n`,
  );
  return false;
}

export function testPrefix(): string {
  return `pwtest-${randomBytes(6).toString('hex')}`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS: the Redis is shared). Returns how many. */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) n += await redis.del(...keys);
    } while (cursor !== '0');
    return n;
  } finally {
    redis.disconnect();
  }
}

/** Keys under `prefix` now (for asserting the layout and the clean-up). */
export async function listKeys(prefix: string, url = REDIS_URL): Promise<string[]> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
    return out.sort();
  } finally {
    redis.disconnect();
  }
}
