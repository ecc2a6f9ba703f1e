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
 * KEYS client, subs, queue, presence channels; ARGV node, ttl, now. Records the node and the time (the sweep
 * reads `seen` here, on the client's own slot) and refreshes the TTLs; 0 when unknown. This is where a
 * queue gets its TTL (issue 13): queueing does not refresh it per delivery, so a queue made since the last
 * connect has none until the next one, and a queue whose client's keys expired meanwhile is deleted by the
 * next sweep (EXPIRE_IDLE): a queue outlives its client by one sweep at most, once any node runs.
 */
export const PING = lua(
  'ping',
  `if redis.call('PEXPIRE', KEYS[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'seen', ARGV[3])
for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
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
 * Lua: `enqueue(clientKey, queueKey, entries, max, maxBytes, policy, head)`, shared by ENQUEUE and the
 * history publishes (scripts-history.ts, scripts-history-cluster.ts) so all apply the queue bounds the same
 * way. Three commands when nothing overflows (issue 13; faye-redis spends about 7 per delivery): HMGET of
 * the client's node and byte count, one RPUSH (or LPUSH) of every entry, HSET of the new byte count. The
 * push's reply is the queue's new length, so the length is never read separately, and no TTL is refreshed
 * here (PING does it). The client HASH field `qbytes` counts a queue that is NOT empty: a take that
 * empties the queue leaves it stale (a take spends no command on it), so a push that finds the queue empty
 * (its length is what it pushed) starts from 0. Readers of `qbytes` check the queue's length first.
 */
export const ENQUEUE_FN = `local function entrySize(e)
  -- A history entry on a Cluster (history-cluster.ts) is 'h<offset> <epoch> <channel>' LF, then an entry.
  if string.sub(e, 1, 1) == 'h' then e = string.sub(e, string.find(e, '\\n', 1, true) + 1) end
  if string.sub(e, 1, 1) == '=' then return #e - 1 end
  return tonumber(string.match(e, '^@(%d+) '))
end
-- Lua's unpack passes a few thousand values at most: long batches go in slices (same order).
local function pushAll(cmd, key, list)
  local len = 0
  for i = 1, #list, 1000 do len = redis.call(cmd, key, unpack(list, i, math.min(i + 999, #list))) end
  return len
end
local function enqueue(ckey, qkey, entries, max, maxBytes, policy, head)
  -- createClient sets 'node': without it the client is unknown (destroyed, or its keys expired).
  local got = redis.call('HMGET', ckey, 'node', 'qbytes')
  local node = got[1]
  if not node then return false end
  local kept, added, dropped, droppedBytes, limit = {}, 0, 0, 0, ''
  if head then
    -- LPUSH puts each value before the previous one: reversed, the entries end up in the order given.
    for i = #entries, 1, -1 do
      kept[#kept + 1] = entries[i]
      added = added + entrySize(entries[i])
    end
  else
    for _, e in ipairs(entries) do
      local n = entrySize(e)
      if n > maxBytes then
        -- As the memory engine: a message larger than maxQueueBytes on its own never fits.
        if policy == 'disconnect' then return 'slow' end
        dropped, droppedBytes, limit = dropped + 1, droppedBytes + n, 'maxQueueBytes'
      else
        kept[#kept + 1] = e
        added = added + n
      end
    end
  end
  if #kept == 0 then return {node, dropped, droppedBytes, limit} end
  local len = pushAll(head and 'LPUSH' or 'RPUSH', qkey, kept)
  local bytes = added
  if len > #kept then bytes = bytes + tonumber(got[2] or '0') end
  if len > max or bytes > maxBytes then
    if policy == 'disconnect' then
      -- The client goes as slow: none of this batch stays (the caller destroys it next).
      redis.call(head and 'LPOP' or 'RPOP', qkey, #kept)
      return 'slow'
    end
    if len > max then limit = 'maxQueue' else limit = 'maxQueueBytes' end
    -- Drop-oldest from the head. Appending all, then dropping the oldest until within bounds, keeps what
    -- appending message by message would (the longest newest run that fits); put-backs are the oldest.
    while len > 0 and (len > max or bytes > maxBytes) do
      local n = 1
      if len > max then n = len - max end
      local popped = redis.call('LPOP', qkey, n)
      if not popped then break end
      for _, e in ipairs(popped) do
        local size = entrySize(e)
        bytes, dropped, droppedBytes = bytes - size, dropped + 1, droppedBytes + size
      end
      len = len - #popped
    end
  end
  redis.call('HSET', ckey, 'qbytes', bytes)
  return {node, dropped, droppedBytes, limit}
end`;

/**
 * KEYS client, queue; ARGV maxQueue, maxQueueBytes, policy, head ('1': put back at the head), entries...
 * The client HASH field `qbytes` is the queue's size in bytes (UTF-8 of the messages, what an entry's
 * `=<json>` holds or `@<bytes> <key>` names; see ENQUEUE_FN for when it is stale). nil when the client is
 * unknown; 'slow' when the disconnect policy refuses; else {node, dropped, droppedBytes, limit}. As the
 * memory engine: drop-oldest drops the oldest until the new messages fit, and drops a message larger than
 * maxQueueBytes itself; what is put back at the head counts as the oldest.
 */
export const ENQUEUE = lua(
  'enqueue',
  `${ENQUEUE_FN}
local entries = {}
for i = 5, #ARGV do entries[#entries + 1] = ARGV[i] end
return enqueue(KEYS[1], KEYS[2], entries, tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4] == '1')`,
);

/**
 * ENQUEUE of one entry for MANY clients in one call (a publish's fan-out, issue 12): KEYS client1,
 * queue1, client2, queue2, ...; ARGV maxQueue, maxQueueBytes, policy, entry. Each client is queued for
 * exactly as ENQUEUE does it (same bounds, same policy), one after another in KEYS order. The caller puts
 * in one call only clients of ONE Cluster slot (queues.ts groups them; on one Redis server any clients).
 * One reply per client, in KEYS order: nil (unknown), 'slow', 0 (queued, nothing dropped, held by the
 * same node as the client queued before it in this call: the usual case, so a crowd's reply is not one
 * node id per recipient), its node (queued, nothing dropped), or {node, dropped, droppedBytes, limit}.
 */
export const ENQUEUE_MANY = lua(
  'enqueue-many',
  `${ENQUEUE_FN}
local max, maxBytes, policy, entries = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], {ARGV[4]}
local out, prev = {}, nil
for i = 1, #KEYS, 2 do
  local r = enqueue(KEYS[i], KEYS[i + 1], entries, max, maxBytes, policy, false)
  if type(r) == 'table' then
    local node = r[1]
    if r[2] == 0 then
      if node == prev then r = 0 else r = node end
    end
    prev = node
  end
  out[#out + 1] = r
end
return out`,
);

/** Entries one LPOP of a bounded take asks for (a larger backlog takes one more LPOP per this many). */
const TAKE_CHUNK = 100;

/**
 * Lua: `takeItems(ckey, qkey, maxBytes, field)` does one client's take for TAKE_MANY and TAKE_MARKED (its
 * client and queue keys, the byte budget, the journal field) and returns the entries and whether entries
 * are left. Without a budget one LPOP takes everything; with one, LPOPs of TAKE_CHUNK entries until the
 * budget is reached, and what a chunk held beyond it goes back with one LPUSH. When the take empties the queue (the usual case) that is ONE command and `qbytes` is left stale
 * (ENQUEUE_FN); a take that leaves entries updates it.
 */
export const TAKE_FN = `local function size(e)
  if string.sub(e, 1, 1) == 'h' then e = string.sub(e, string.find(e, '\\n', 1, true) + 1) end
  if string.sub(e, 1, 1) == '=' then return #e - 1 end
  return tonumber(string.match(e, '^@(%d+) '))
end
local function journal(ckey, field, items)
  if field == '' or #items == 0 or redis.call('EXISTS', ckey) == 0 then return end
  local old = redis.call('HGET', ckey, field)
  local all = {}
  if old then all = cjson.decode(old) end
  for _, e in ipairs(items) do table.insert(all, e) end
  redis.call('HSET', ckey, field, cjson.encode(all))
end
local function takeItems(ckey, qkey, maxBytes, field)
  if maxBytes == 0 then
    local items = redis.call('LPOP', qkey, 2147483647) or {}
    journal(ckey, field, items)
    return items, false
  end
  local items, total = {}, 0
  while true do
    local got = redis.call('LPOP', qkey, ${TAKE_CHUNK})
    if not got then break end
    for i, e in ipairs(got) do
      local n = size(e)
      if #items > 0 and total + n > maxBytes then
        local rest = {}
        for j = #got, i, -1 do rest[#rest + 1] = got[j] end
        redis.call('LPUSH', qkey, unpack(rest))
        if redis.call('EXISTS', ckey) == 1 then redis.call('HINCRBY', ckey, 'qbytes', -total) end
        journal(ckey, field, items)
        return items, true
      end
      items[#items + 1] = e
      total = total + n
    end
    if #got < ${TAKE_CHUNK} then break end
  end
  journal(ckey, field, items)
  return items, false
end`;

/**
 * The takes of MANY clients in one call (a fan-out flushing the clients it woke on this node, issue 12):
 * KEYS client1, queue1, client2, queue2, ...; ARGV maxBytes1 (0: everything), journal field1 ('' for
 * none), maxBytes2, journal field2, ... (each client's pair of ARGV at the index of its pair of KEYS). For
 * each client, one after another: removes and returns the oldest entries whose sizes sum to at most
 * maxBytes, and always at least one; the rest stay queued. With a journal field, the entries taken are
 * appended to it (a JSON array in the client HASH) in the same step. Only clients of ONE Cluster slot per
 * call (on one Redis server any clients). A flat reply: {more1 (1: entries are left), {entries1...},
 * more2, {entries2...}, ...}, where entries that are exactly the previous client's (one publish to a
 * crowd: everyone takes the same entry) are sent as 0 instead: the reply carries the entry once, not once
 * per recipient, and the engine hands every recipient the same strings (batch-frame.ts frames them once).
 */
export const TAKE_MANY = lua(
  'take-many',
  `${TAKE_FN}
local out, prev = {}, nil
for i = 1, #KEYS, 2 do
  local items, more = takeItems(KEYS[i], KEYS[i + 1], tonumber(ARGV[i]), ARGV[i + 1])
  out[#out + 1] = more and 1 or 0
  -- Lua strings are interned: comparing entries is a pointer comparison each.
  local same = prev ~= nil and #prev == #items and #items > 0
  if same then
    for j = 1, #items do
      if items[j] ~= prev[j] then
        same = false
        break
      end
    end
  end
  if same then out[#out + 1] = 0 else out[#out + 1] = items end
  prev = items
end
return out`,
);

/**
 * Lua shared by DESTROY and EXPIRE_IDLE (needs locals `node`, `pp`, `pip`, `pid`; KEYS client, subs,
 * queue, presence channels): deletes the client's keys and leaves in `subs` the reply {node, lostCount,
 * lostBytes, info, {presence channels...}, {removals...}, patterns...}; the caller inserts its status
 * first. On ONE Redis server (`pp`, `pip`: the presence set and info key before the channel name) the
 * client leaves its presence sets in the same step, each removal answered as PRESENCE_REMOVE does. On a
 * Cluster (`pp` = '') the sets are other slots: the engine leaves them AFTER this step (presence.ts).
 */
const DELETE_CLIENT = `local lost = redis.call('LLEN', KEYS[3])
-- qbytes is stale once a take emptied the queue (ENQUEUE_FN).
local lostBytes = 0
if lost > 0 then lostBytes = tonumber(redis.call('HGET', KEYS[1], 'qbytes') or '0') end
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
 * live node (ask it); {2} active; {-1} unknown (what is left of its keys deleted).
 */
export const EXPIRE_IDLE = lua(
  'expire-idle',
  `if redis.call('EXISTS', KEYS[1]) == 0 then
  -- Its keys expired (keyTtl: no sweep ran meanwhile). A queue made since its last ping has no TTL (PING):
  -- deleted here with whatever else is left.
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  return {-1}
end
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
