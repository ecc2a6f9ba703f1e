import { engineConformance } from '@pushwire/server/testing';
import { afterAll, describe, it } from 'vitest';
import { createRedisEngine } from '../src/index.js';
import { deleteKeys, REDIS_URL, redisAvailable, testPrefix } from './redis-helpers.js';

const available = await redisAvailable();
const prefixes: string[] = [];

if (available) {
  // The suite runs unchanged; each engine gets its own prefix (a fresh, empty store).
  engineConformance('redis', async (opts) => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    return createRedisEngine({ ...opts, url: REDIS_URL, prefix });
  });
}

describe.skipIf(available)('engine conformance: redis', () => {
  it('needs a Redis (see the message above)', () => undefined);
});

afterAll(async () => {
  for (const p of prefixes) await deleteKeys(p);
});
