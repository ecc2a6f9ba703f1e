// The demo's own Lua scripts on the engine's Redis (photo-store-redis.ts, lease.ts). Each touches keys of ONE
// hash tag, so it runs on one Redis Cluster slot; each is atomic (a Lua script runs alone), so two nodes
// storing photos or claiming the game at once cannot leave the store over its bounds or two leaders.

import { createHash } from 'node:crypto';
import type { LuaScript } from '@pushwire/redis';

function lua(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * KEYS: order LIST (ids, oldest first), data HASH (id -> `type\nbase64`), bytes STRING (sum of the values'
 * lengths). ARGV: id, value, photosKept, maxPhotoStoreBytes. Adds, then evicts the oldest while over a
 * bound, keeping the newest. Returns {count, bytes}.
 */
export const PHOTO_PUT = lua(
  'demo-photo-put',
  `
local len = string.len(ARGV[2])
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return {redis.call('LLEN', KEYS[1]), tonumber(redis.call('GET', KEYS[3]) or '0')}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[1], ARGV[1])
local total = redis.call('INCRBY', KEYS[3], len)
local count = redis.call('LLEN', KEYS[1])
local kept, max = tonumber(ARGV[3]), tonumber(ARGV[4])
while count > 1 and (count > kept or total > max) do
  local old = redis.call('LPOP', KEYS[1])
  total = redis.call('INCRBY', KEYS[3], -redis.call('HSTRLEN', KEYS[2], old))
  redis.call('HDEL', KEYS[2], old)
  count = count - 1
end
return {count, total}
`,
);

/**
 * KEYS: the lease STRING. ARGV: owner, ttl ms. Takes the lease when free, renews it when `owner` holds it.
 * Returns 1 when `owner` holds it now, else 0.
 */
export const LEASE_HOLD = lua(
  'demo-lease-hold',
  `
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`,
);

/** KEYS: the lease STRING. ARGV: owner. Gives the lease up if `owner` holds it (a node that stops). */
export const LEASE_RELEASE = lua(
  'demo-lease-release',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`,
);
