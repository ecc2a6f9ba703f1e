// The Lua scripts of the engine. Each touches the keys of ONE client (one hash tag, one Cluster slot) or
// one shared key, so it runs atomically on Redis Cluster too (Redis EVAL: all KEYS must be in one slot).

import { createHash } from 'node:crypto';
import type { LuaScript } from './port.js';

function lua(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/** KEYS client; ARGV node, ttl, now. 1 when created. */
export const CREATE = lua(
  'create',
  `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'seen', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
);

/**
 * KEYS client, subs, queue; ARGV node, ttl, now. Records the node and the time (the sweep reads `seen`
 * here, on the client's own slot) and refreshes the TTLs; 0 when unknown.
 */
export const PING = lua(
  'ping',
  `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'seen', ARGV[3])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return 1`,
);

/** KEYS client, subs; ARGV pattern, maxSubscriptions, ttl. -1 unknown, -2 too many, 1 had it, 2 added. */
export const SUBSCRIBE = lua(
  'subscribe',
  `if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then return -2 end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 2`,
);

/**
 * KEYS client, queue; ARGV maxQueue, policy, ttl, head ('1' puts back at the head), entries...
 * nil when the client is unknown; 'slow' when the disconnect policy refuses; else {node, dropped}.
 * drop-oldest keeps the newest maxQueue entries (what is put back at the head counts as oldest).
 */
export const ENQUEUE = lua(
  'enqueue',
  `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local max = tonumber(ARGV[1])
local n = #ARGV - 4
local len = redis.call('LLEN', KEYS[2])
if len + n > max and ARGV[2] == 'disconnect' then return 'slow' end
if ARGV[4] == '1' then
  for i = #ARGV, 5, -1 do redis.call('LPUSH', KEYS[2], ARGV[i]) end
else
  for i = 5, #ARGV, 1 do redis.call('RPUSH', KEYS[2], ARGV[i]) end
end
local dropped = 0
if len + n > max then
  dropped = len + n - max
  redis.call('LTRIM', KEYS[2], -max, -1)
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {redis.call('HGET', KEYS[1], 'node') or '', dropped}`,
);

/** KEYS queue. Removes and returns every entry, oldest first. */
export const TAKE = lua(
  'take',
  `local items = redis.call('LRANGE', KEYS[1], 0, -1)
if #items > 0 then redis.call('DEL', KEYS[1]) end
return items`,
);

/**
 * KEYS client, subs, queue. Deletes them all; returns {existed, node, patterns...}. Only the call that
 * found the client (existed = 1) tells a sink: of racing destroys on any node exactly one does.
 */
export const DESTROY = lua(
  'destroy',
  `local existed = redis.call('EXISTS', KEYS[1])
local node = redis.call('HGET', KEYS[1], 'node') or ''
local subs = redis.call('SMEMBERS', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
table.insert(subs, 1, node)
table.insert(subs, 1, existed)
return subs`,
);

/**
 * KEYS client, subs, queue; ARGV deadline, me, then '*' (every other node is alive) or the live nodes.
 * Destroys the client only if it is still idle (seen < deadline) and no OTHER live node holds it:
 * {1, node, patterns...} destroyed; {0, node} held by that live node (ask it); {2} active; {-1} unknown.
 */
export const EXPIRE_IDLE = lua(
  'expire-idle',
  `if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local seen = tonumber(redis.call('HGET', KEYS[1], 'seen') or '0')
if seen >= tonumber(ARGV[1]) then return {2} end
local node = redis.call('HGET', KEYS[1], 'node') or ''
if node ~= '' and node ~= ARGV[2] then
  if ARGV[3] == '*' then return {0, node} end
  for i = 3, #ARGV do
    if ARGV[i] == node then return {0, node} end
  end
end
local subs = redis.call('SMEMBERS', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
table.insert(subs, 1, node)
table.insert(subs, 1, 1)
return subs`,
);

/** KEYS lock; ARGV owner. Deletes the lock only if this node still owns it. */
export const UNLOCK = lua(
  'unlock',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);

/** KEYS client; ARGV field, value. Sets a state field of a known client (1), else 0. */
export const SET_STATE = lua(
  'set-state',
  `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`,
);

/** KEYS client; ARGV field. Removes and returns a state field (nil when absent). */
export const TAKE_STATE = lua(
  'take-state',
  `local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then redis.call('HDEL', KEYS[1], ARGV[1]) end
return v`,
);

/** KEYS browser; ARGV now, exceptClientId. Drops lapsed holds; counts the others' live ones. */
export const BROWSER_HOLDS = lua(
  'browser-holds',
  `redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then n = n - 1 end
return n`,
);
