// The Lua scripts of channel history on ONE Redis server (issue 9). Unlike scripts.ts, the publish and
// subscribe scripts touch keys of SEVERAL hash slots in one script: a history publish assigns the
// channel's next offset, appends to its history and pushes onto every subscriber's queue in ONE atomic
// step, so two nodes publishing to one channel at once cannot fill a queue out of offset order (the client
// drops anything at or before its last seen offset: reordering would be loss). A Redis Cluster refuses a
// script whose keys span slots: there, history-cluster.ts splits these steps by slot (READ_HISTORY and
// HISTORY_FN, on the channel's slot only, serve both).

import type { LuaScript } from './port.js';
import { ENQUEUE_FN, lua } from './scripts.js';

/**
 * Lua helpers. A history entry is `<ms published> <json>`; the meta HASH holds `epoch`, `last` (latest
 * offset) and `bytes` (UTF-8 bytes of the retained texts: Lua's # counts bytes).
 */
export const HISTORY_FN = `local function hopen(meta, list, newEpoch, keep)
  local epoch = redis.call('HGET', meta, 'epoch')
  if not epoch then
    -- No history (never had one, or it was lost: key expired, Redis restarted empty): a new epoch, so a
    -- recovery from the old one honestly fails.
    epoch = newEpoch
    redis.call('DEL', list)
    redis.call('HSET', meta, 'epoch', epoch, 'last', 0, 'bytes', 0)
    redis.call('PEXPIRE', meta, keep)
  end
  return epoch
end
local function hsplit(e)
  local sp = string.find(e, ' ', 1, true)
  return tonumber(string.sub(e, 1, sp - 1)), string.sub(e, sp + 1)
end
local function htrim(meta, list, size, ttl, maxBytes, now)
  local len = redis.call('LLEN', list)
  local bytes = tonumber(redis.call('HGET', meta, 'bytes') or '0')
  local oldest = now - ttl
  local changed = false
  while len > 0 do
    local t, text = hsplit(redis.call('LINDEX', list, 0))
    -- One exactly ttl old is gone (HistoryLimits.ttl).
    if len <= size and bytes <= maxBytes and t > oldest then break end
    redis.call('LPOP', list)
    len = len - 1
    bytes = bytes - #text
    changed = true
  end
  if changed then redis.call('HSET', meta, 'bytes', bytes) end
  return len
end
local function hread(meta, list, len, kind, qa, qepoch, maxRecovery, epoch)
  local last = tonumber(redis.call('HGET', meta, 'last'))
  local first = last - len + 1
  local n = 0
  local complete = 1
  if kind == 'last' then
    local want = tonumber(qa)
    n = math.min(want, maxRecovery, len)
    if not (n >= want or (first == 1 and n == len)) then complete = 0 end
  elseif kind == 'after' then
    local off = tonumber(qa)
    if qepoch ~= epoch or off > last or off < first - 1 then return last, {}, 0 end
    n = last - off
    if n > maxRecovery then return last, {}, 0 end
  end
  local msgs = {}
  if n > 0 then
    for i, e in ipairs(redis.call('LRANGE', list, -n, -1)) do
      local _, text = hsplit(e)
      msgs[i] = text
    end
  end
  return last, msgs, complete
end
-- Assigns the channel's next offset, appends the text with its position and trims: the history half of a
-- publish, the same on one server (PUBLISH_HISTORY) and on a Cluster (APPEND_HISTORY). now is ARGV text:
-- the entry keeps the ms exactly as the engine sent them.
local function happend(meta, list, newEpoch, now, size, ttl, maxBytes, keep, head, tail)
  local epoch = hopen(meta, list, newEpoch, keep)
  local offset = redis.call('HINCRBY', meta, 'last', 1)
  -- encodePosition byte for byte; epochs are hex made by the engine (no JSON escaping needed).
  local text = head .. '{"offset":' .. string.format('%d', offset) .. ',"epoch":"' .. epoch .. '"}' .. tail
  redis.call('RPUSH', list, now .. ' ' .. text)
  redis.call('HINCRBY', meta, 'bytes', #text)
  htrim(meta, list, size, ttl, maxBytes, tonumber(now))
  redis.call('PEXPIRE', meta, keep)
  redis.call('PEXPIRE', list, keep)
  return offset, epoch, text
end`;

/**
 * KEYS meta, list, body, index sets of expand(channel)...; ARGV newEpoch, now, size, ttl, maxBytes, keep,
 * head, tail, maxQueue, maxQueueBytes, policy, clientTtl (unused: PING gives queues their TTL), bodyTtl,
 * clientKey before/after id, queueKey before/after id. Returns {offset, epoch, {ids...}, {enqueue results...}} (results as ENQUEUE's).
 */
export const PUBLISH_HISTORY: LuaScript = lua(
  'publish-history',
  `${ENQUEUE_FN}
${HISTORY_FN}
-- ARGV 1-8: newEpoch, now, size, ttl, maxBytes, keep, head, tail (APPEND_HISTORY's too).
local offset, epoch, text = happend(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]),
  tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8])
-- The recipients are read HERE, in the same atomic step: a subscribeHistory cannot slip in between.
local seen, ids = {}, {}
for i = 4, #KEYS do
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    if not seen[id] then
      seen[id] = true
      ids[#ids + 1] = id
    end
  end
end
local entry = '=' .. text
if #ids > 1 then
  redis.call('SET', KEYS[3], text, 'PX', ARGV[13])
  entry = '@' .. #text .. ' ' .. KEYS[3]
end
local results = {}
for i, id in ipairs(ids) do
  results[i] = enqueue(ARGV[14] .. id .. ARGV[15], ARGV[16] .. id .. ARGV[17], {entry},
    tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11], false)
end
return {offset, epoch, ids, results}`,
);

/**
 * KEYS client, subs, index(channel), meta, list, queue; ARGV channel, maxSubscriptions, clientTtl,
 * newEpoch, now, size, ttl, maxBytes, maxRecovery, keep, kind ('' | 'last' | 'after'), last N or offset,
 * epoch, maxQueue, maxQueueBytes, clientId. {-1} unknown, {-2} too many, else {1, epoch, last, complete,
 * node, messages...}: subscribed, read and queued in one step (nothing queued, complete 0, when the queue
 * cannot take the whole replay).
 */
export const SUBSCRIBE_HISTORY: LuaScript = lua(
  'subscribe-history',
  `${HISTORY_FN}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then
  if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then return {-2} end
  redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  redis.call('SADD', KEYS[3], ARGV[16])
end
local epoch = hopen(KEYS[4], KEYS[5], ARGV[4], ARGV[10])
local len = htrim(KEYS[4], KEYS[5], tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[5]))
local last, msgs, complete = hread(KEYS[4], KEYS[5], len, ARGV[11], ARGV[12], ARGV[13], tonumber(ARGV[9]), epoch)
local node = redis.call('HGET', KEYS[1], 'node') or ''
if #msgs > 0 then
  local total = 0
  for _, m in ipairs(msgs) do total = total + #m end
  local qlen = redis.call('LLEN', KEYS[6])
  -- qbytes is stale once a take emptied the queue (scripts.ts ENQUEUE_FN).
  local qbytes = 0
  if qlen > 0 then qbytes = tonumber(redis.call('HGET', KEYS[1], 'qbytes') or '0') end
  -- A replay cut by the queue policy would be a silent gap: refused whole instead.
  if qlen + #msgs > tonumber(ARGV[14]) or qbytes + total > tonumber(ARGV[15]) then
    return {1, epoch, last, 0, node}
  end
  for _, m in ipairs(msgs) do redis.call('RPUSH', KEYS[6], '=' .. m) end
  redis.call('HSET', KEYS[1], 'qbytes', qbytes + total)
  redis.call('PEXPIRE', KEYS[6], ARGV[3])
end
local out = {1, epoch, last, complete, node}
for _, m in ipairs(msgs) do out[#out + 1] = m end
return out`,
);

/**
 * KEYS meta, list; ARGV newEpoch, now, size, ttl, maxBytes, maxRecovery, keep, kind, last N or offset,
 * epoch. {epoch, last, complete, messages...}.
 */
export const READ_HISTORY: LuaScript = lua(
  'read-history',
  `${HISTORY_FN}
local epoch = hopen(KEYS[1], KEYS[2], ARGV[1], ARGV[7])
local len = htrim(KEYS[1], KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[2]))
local last, msgs, complete = hread(KEYS[1], KEYS[2], len, ARGV[8], ARGV[9], ARGV[10], tonumber(ARGV[6]), epoch)
local out = {epoch, last, complete}
for _, m in ipairs(msgs) do out[#out + 1] = m end
return out`,
);
