// The Lua scripts of presence. Each touches ONE slot: either the client's keys (`{<clientId>}`) or the
// channel's presence keys (`{<channel>}`: the ZSET of members in join order and the HASH of their info).
// presence.ts runs them in the order that stays correct when a node dies between two of them.

import type { LuaScript } from './port.js';
import { lua } from './scripts.js';

/**
 * KEYS client, client's presence channels; ARGV channel, clientTtl. Records that the client is (about to
 * be) present in `channel`, BEFORE it enters the set: a destroy then always knows the sets to leave.
 * nil when the client is unknown; else its info JSON.
 */
export const PRESENCE_MARK: LuaScript = lua(
  'presence-mark',
  `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return redis.call('HGET', KEYS[1], 'info') or 'null'`,
);

/**
 * KEYS presence set, presence info; ARGV clientId, info. {added, count}. The score is one above the
 * highest present (join order within the set; no counter on another slot).
 */
export const PRESENCE_ADD: LuaScript = lua(
  'presence-add',
  `if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {0, redis.call('ZCARD', KEYS[1])} end
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local score = 1
if top[2] then score = tonumber(top[2]) + 1 end
redis.call('ZADD', KEYS[1], score, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {1, redis.call('ZCARD', KEYS[1])}`,
);

/**
 * KEYS presence set, presence info; ARGV clientId. {removed, count after, info?}: of racing removals (a
 * leave, a destroy, a listing that found the client gone) exactly one gets removed = 1 and tells.
 */
export const PRESENCE_REMOVE: LuaScript = lua(
  'presence-remove',
  `if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return {0, redis.call('ZCARD', KEYS[1])} end
local info = redis.call('HGET', KEYS[2], ARGV[1]) or 'null'
redis.call('HDEL', KEYS[2], ARGV[1])
return {1, redis.call('ZCARD', KEYS[1]), info}`,
);

/**
 * KEYS presence set, presence info; ARGV maxMembers. {count} past maxMembers, else {count, id, info, ...}
 * in join order.
 */
export const PRESENCE_READ: LuaScript = lua(
  'presence-read',
  `local n = redis.call('ZCARD', KEYS[1])
if n > tonumber(ARGV[1]) then return {n} end
local out = {n}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or 'null'
end
return out`,
);
