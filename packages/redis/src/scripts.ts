// The Lua scripts of the engine. Each touches the keys of ONE client (one hash tag, one Cluster slot) or
// one shared key, so it runs atomically on Redis Cluster too (Redis EVAL: all KEYS must be in one slot).
// One exception, on one Redis server only: the destroy scripts also leave the client's presence sets
// (DELETE_CLIENT; on a Cluster they are given no presence prefix and leave nothing).

import { createHash } from 'node:crypto';
import type { LuaScript } from './port.js';

export function lua(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/** KEYS client; ARGV node, ttl, now, info (JSON text shown in presence sets). 1 when created. */
export const CREATE = lua(
  'create',
  `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'seen', ARGV[3], 'info', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
);

/**
 * KEYS client, subs, queue, presence channels; ARGV node, ttl, now. Records the node and the time (the sweep reads `seen`
 * here, on the client's own slot) and refreshes the TTLs; 0 when unknown.
 */
export const PING = lua(
  'ping',
  `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'seen', ARGV[3])
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
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
 * Lua: `enqueue(clientKey, queueKey, entries, max, maxBytes, policy, ttl, head)`, shared by ENQUEUE and the
 * history publish (scripts-history.ts) so both apply the queue bounds the same way.
 */
export const ENQUEUE_FN = `local function entrySize(e)
  -- A history entry on a Cluster (history-cluster.ts) is 'h<offset> <epoch> <channel>' LF, then an entry.
  if string.sub(e, 1, 1) == 'h' then e = string.sub(e, string.find(e, '\\n', 1, true) + 1) end
  if string.sub(e, 1, 1) == '=' then return #e - 1 end
  return tonumber(string.match(e, '^@(%d+) '))
end
local function enqueue(ckey, qkey, entries, max, maxBytes, policy, ttl, head)
  if redis.call('EXISTS', ckey) == 0 then return false end
  local len = redis.call('LLEN', qkey)
  local bytes = tonumber(redis.call('HGET', ckey, 'qbytes') or '0')
  local dropped, droppedBytes, limit = 0, 0, ''
  if head then
    for i = #entries, 1, -1 do
      redis.call('LPUSH', qkey, entries[i])
      len = len + 1
      bytes = bytes + entrySize(entries[i])
    end
    if len > max or bytes > maxBytes then
      if policy == 'disconnect' then return 'slow' end
      if len > max then limit = 'maxQueue' else limit = 'maxQueueBytes' end
      while len > 0 and (len > max or bytes > maxBytes) do
        local e = redis.call('LPOP', qkey)
        bytes = bytes - entrySize(e)
        len = len - 1
        dropped = dropped + 1
        droppedBytes = droppedBytes + entrySize(e)
      end
    end
  else
    for _, e in ipairs(entries) do
      local n = entrySize(e)
      if len < max and bytes + n <= maxBytes then
        redis.call('RPUSH', qkey, e)
        len = len + 1
        bytes = bytes + n
      else
        if policy == 'disconnect' then return 'slow' end
        if len >= max then limit = 'maxQueue' else limit = 'maxQueueBytes' end
        if n > maxBytes then
          dropped = dropped + 1
          droppedBytes = droppedBytes + n
        else
          while len > 0 and (len >= max or bytes + n > maxBytes) do
            local old = redis.call('LPOP', qkey)
            bytes = bytes - entrySize(old)
            len = len - 1
            dropped = dropped + 1
            droppedBytes = droppedBytes + entrySize(old)
          end
          redis.call('RPUSH', qkey, e)
          len = len + 1
          bytes = bytes + n
        end
      end
    end
  end
  redis.call('HSET', ckey, 'qbytes', bytes)
  redis.call('PEXPIRE', qkey, ttl)
  return {redis.call('HGET', ckey, 'node') or '', dropped, droppedBytes, limit}
end`;

/**
 * KEYS client, queue; ARGV maxQueue, maxQueueBytes, policy, ttl, head ('1': put back at the head),
 * entries... The client HASH field `qbytes` is the queue's size in bytes (UTF-8 of the messages, what an
 * entry's `=<json>` holds or `@<bytes> <key>` names). nil when the client is unknown; 'slow' when the
 * disconnect policy refuses; else {node, dropped, droppedBytes, limit}. As the memory engine: appending
 * goes message by message (drop-oldest drops the oldest until the new one fits, and drops a message larger
 * than maxQueueBytes itself); what is put back at the head counts as the oldest.
 */
export const ENQUEUE = lua(
  'enqueue',
  `${ENQUEUE_FN}
local entries = {}
for i = 6, #ARGV do entries[#entries + 1] = ARGV[i] end
return enqueue(KEYS[1], KEYS[2], entries, tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5] == '1')`,
);

/** Lua: `takeItems()` does TAKE's work (KEYS client, queue; ARGV maxBytes, journal field) and returns the entries. */
export const TAKE_FN = `local function size(e)
  if string.sub(e, 1, 1) == 'h' then e = string.sub(e, string.find(e, '\\n', 1, true) + 1) end
  if string.sub(e, 1, 1) == '=' then return #e - 1 end
  return tonumber(string.match(e, '^@(%d+) '))
end
local function journal(items)
  if ARGV[2] == '' or #items == 0 or redis.call('EXISTS', KEYS[1]) == 0 then return end
  local old = redis.call('HGET', KEYS[1], ARGV[2])
  local all = {}
  if old then all = cjson.decode(old) end
  for _, e in ipairs(items) do table.insert(all, e) end
  redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(all))
end
local function takeItems()
  local maxBytes = tonumber(ARGV[1])
  local items
  if maxBytes == 0 then
    items = redis.call('LRANGE', KEYS[2], 0, -1)
    redis.call('DEL', KEYS[2])
    if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'qbytes', 0) end
    journal(items)
    return items
  end
  items = {}
  local total = 0
  while true do
    local e = redis.call('LINDEX', KEYS[2], 0)
    if not e then break end
    local n = size(e)
    if #items > 0 and total + n > maxBytes then break end
    redis.call('LPOP', KEYS[2])
    table.insert(items, e)
    total = total + n
  end
  if #items > 0 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'qbytes', -total) end
  journal(items)
  return items
end`;

/**
 * KEYS client, queue; ARGV maxBytes (0: everything), journal field ('' for none). Removes and returns the
 * oldest entries whose sizes sum to at most maxBytes, and always at least one; the rest stay queued. With
 * a journal field, the entries taken are appended to it (a JSON array in the client HASH) in the same step.
 */
export const TAKE = lua(
  'take',
  `${TAKE_FN}
return takeItems()`,
);

/**
 * Lua shared by DESTROY and EXPIRE_IDLE (needs locals `node`, `pp`, `pip`, `pid`; KEYS client, subs,
 * queue, presence channels): deletes the client's keys and leaves in `subs` the reply {node, lostCount,
 * lostBytes, info, {presence channels...}, {removals...}, patterns...}; the caller inserts its status
 * first. On ONE Redis server (`pp`, `pip`: the presence set and info key before the channel name) the
 * client leaves its presence sets in the same step, each removal answered as PRESENCE_REMOVE does. On a
 * Cluster (`pp` = '') the sets are other slots: the engine leaves them AFTER this step (presence.ts).
 */
const DELETE_CLIENT = `local lostBytes = tonumber(redis.call('HGET', KEYS[1], 'qbytes') or '0')
local lost = redis.call('LLEN', KEYS[3])
local subs = redis.call('SMEMBERS', KEYS[2])
local info = redis.call('HGET', KEYS[1], 'info') or 'null'
local present = redis.call('SMEMBERS', KEYS[4])
local removals = {}
if pp ~= '' then
  for i, channel in ipairs(present) do
    local set, infos = pp .. channel .. '}', pip .. channel .. '}'
    if redis.call('ZREM', set, pid) == 1 then
      local was = redis.call('HGET', infos, pid) or 'null'
      redis.call('HDEL', infos, pid)
      removals[i] = {1, redis.call('ZCARD', set), was}
    else
      removals[i] = {0, redis.call('ZCARD', set)}
    end
  end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
table.insert(subs, 1, removals)
table.insert(subs, 1, present)
table.insert(subs, 1, info)
table.insert(subs, 1, lostBytes)
table.insert(subs, 1, lost)
table.insert(subs, 1, node)`;

/**
 * KEYS client, subs, queue, presence channels; ARGV presence set prefix ('' on a Cluster), presence info
 * prefix, clientId. Deletes them all; returns {existed, node, lostCount, lostBytes, info, {presence
 * channels...}, {removals...}, patterns...}.
 * Only the call that found the client (existed = 1) tells a sink: of racing destroys exactly one does.
 */
export const DESTROY = lua(
  'destroy',
  `local pp, pip, pid = ARGV[1], ARGV[2], ARGV[3]
local existed = redis.call('EXISTS', KEYS[1])
local node = redis.call('HGET', KEYS[1], 'node') or ''
${DELETE_CLIENT}
table.insert(subs, 1, existed)
return subs`,
);

/**
 * KEYS client, subs, queue, presence channels; ARGV deadline, me, presence set prefix ('' on a Cluster),
 * presence info prefix, clientId, then '*' (every other node is alive) or the live nodes. Destroys the
 * client only if it is still idle (seen < deadline) and no OTHER live node holds it: {1, node, lostCount,
 * lostBytes, info, {presence channels...}, {removals...}, patterns...} destroyed; {0, node} held by that
 * live node (ask it); {2} active; {-1} unknown.
 */
export const EXPIRE_IDLE = lua(
  'expire-idle',
  `if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local seen = tonumber(redis.call('HGET', KEYS[1], 'seen') or '0')
if seen >= tonumber(ARGV[1]) then return {2} end
local node = redis.call('HGET', KEYS[1], 'node') or ''
if node ~= '' and node ~= ARGV[2] then
  if ARGV[6] == '*' then return {0, node} end
  for i = 6, #ARGV do
    if ARGV[i] == node then return {0, node} end
  end
end
local pp, pip, pid = ARGV[3], ARGV[4], ARGV[5]
${DELETE_CLIENT}
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
