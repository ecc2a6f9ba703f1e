// The Lua scripts of channel history on a Redis Cluster (history-cluster.ts). Each touches ONE slot: the
// channel's (`{<channel>}`: its history HASH and LIST) or one client's (`{<clientId>}`). A history entry in
// a queue carries its position: `h<offset> <epoch> <channel>` LF, then the entry (`=<json>` or
// `@<bytes> <body key>`). The client HASH field `w:<channel>` (the mark, `<epoch> <offset>`) is the
// highest offset of that channel already taken for delivery (or the subscription's start).

import type { LuaScript } from './port.js';
import { ENQUEUE_FN, lua, TAKE_FN } from './scripts.js';
import { HISTORY_FN } from './scripts-history.js';

/**
 * KEYS meta, list; ARGV newEpoch, now, size, ttl, maxBytes, keep, head, tail. Assigns the next offset and
 * appends; {offset, epoch, text}.
 */
export const APPEND_HISTORY: LuaScript = lua(
  'append-history',
  `${HISTORY_FN}
-- ARGV 1-8 as PUBLISH_HISTORY's: newEpoch, now, size, ttl, maxBytes, keep, head, tail.
local offset, epoch, text = happend(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]),
  tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8])
return {offset, epoch, text}`,
);

/** Lua: `markOf(client, field)` -> epoch, offset (nil when absent). */
const MARK_FN = `local function markOf(ckey, field)
  local m = redis.call('HGET', ckey, field)
  if not m then return nil, nil end
  local sp = string.find(m, ' ', 1, true)
  return string.sub(m, 1, sp - 1), tonumber(string.sub(m, sp + 1))
end`;

/**
 * KEYS client, queue; ARGV maxQueue, maxQueueBytes, policy, ttl (unused: PING gives queues their TTL),
 * mark field, epoch, offset, entry. As ENQUEUE, except that a message at or before the mark (taken already: a gap fill delivered it from the
 * history) is not queued again.
 */
export const ENQUEUE_HISTORY: LuaScript = lua(
  'enqueue-history',
  `${ENQUEUE_FN}
${MARK_FN}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local epoch, offset = markOf(KEYS[1], ARGV[5])
if epoch == ARGV[6] and offset >= tonumber(ARGV[7]) then
  return {redis.call('HGET', KEYS[1], 'node') or '', 0, 0, ''}
end
return enqueue(KEYS[1], KEYS[2], {ARGV[8]}, tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], false)`,
);

/**
 * KEYS client, queue; ARGV mark field, epoch, start (offset before the first message), maxQueue,
 * maxQueueBytes, ttl, channel, messages.... Queues a subscription's replay as history entries (so the
 * take orders them with live messages that got in first) and sets the mark to `start`. Without a replay
 * the mark is kept when it is of this epoch (a re-subscription must not drop what is queued), else set
 * to the position read. {-1} unknown client; {0, node} refused whole (the queue cannot take it); else
 * {1, node, number queued}.
 */
export const REPLAY_HISTORY: LuaScript = lua(
  'replay-history',
  `${MARK_FN}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local node = redis.call('HGET', KEYS[1], 'node') or ''
local epoch = markOf(KEYS[1], ARGV[1])
local start = tonumber(ARGV[3])
local n = #ARGV - 7
local function markAt(offset) redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. string.format('%d', offset)) end
if n == 0 then
  if epoch ~= ARGV[2] then markAt(start) end
  return {1, node, 0}
end
local total = 0
for i = 8, #ARGV do total = total + #ARGV[i] end
local qlen = redis.call('LLEN', KEYS[2])
-- qbytes is stale once a take emptied the queue (scripts.ts ENQUEUE_FN).
local qbytes = 0
if qlen > 0 then qbytes = tonumber(redis.call('HGET', KEYS[1], 'qbytes') or '0') end
-- A replay cut by the queue policy would be a silent gap: refused whole instead.
if qlen + n > tonumber(ARGV[4]) or qbytes + total > tonumber(ARGV[5]) then
  if epoch ~= ARGV[2] then markAt(start + n) end
  return {0, node}
end
for i = 8, #ARGV do
  redis.call('RPUSH', KEYS[2], 'h' .. string.format('%d', start + i - 7) .. ' ' .. ARGV[2] .. ' ' .. ARGV[7] .. '\\n=' .. ARGV[i])
end
markAt(start)
redis.call('HSET', KEYS[1], 'qbytes', qbytes + total)
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return {1, node, n}`,
);

/**
 * KEYS client, queue; ARGV maxBytes, journal field, mark field prefix. One take as TAKE_MANY's, then for every channel with
 * history entries among those taken: its mark before, and the mark raised to the highest offset taken (a
 * newer epoch replaces an older one). {items, {channel, old mark or '', ...}, more (1: entries are left)}.
 */
export const TAKE_MARKED: LuaScript = lua(
  'take-marked',
  `${TAKE_FN}
local items, more = takeItems(KEYS[1], KEYS[2], tonumber(ARGV[1]), ARGV[2])
local marks, old, order = {}, {}, {}
for _, e in ipairs(items) do
  if string.sub(e, 1, 1) == 'h' then
    local nl = string.find(e, '\\n', 1, true)
    local offset, epoch, channel = string.match(string.sub(e, 2, nl - 1), '^(%d+) (%x+) (.*)$')
    offset = tonumber(offset)
    if old[channel] == nil then
      old[channel] = redis.call('HGET', KEYS[1], ARGV[3] .. channel) or ''
      order[#order + 1] = channel
      local sp = string.find(old[channel], ' ', 1, true)
      if sp then marks[channel] = {string.sub(old[channel], 1, sp - 1), tonumber(string.sub(old[channel], sp + 1))} end
    end
    local m = marks[channel]
    if m == nil or m[1] ~= epoch then marks[channel] = {epoch, offset}
    elseif offset > m[2] then m[2] = offset end
  end
end
local out = {}
if #order > 0 and redis.call('EXISTS', KEYS[1]) == 1 then
  for _, channel in ipairs(order) do
    local m = marks[channel]
    redis.call('HSET', KEYS[1], ARGV[3] .. channel, m[1] .. ' ' .. string.format('%d', m[2]))
  end
end
for _, channel in ipairs(order) do
  out[#out + 1] = channel
  out[#out + 1] = old[channel]
end
return {items, out, more and 1 or 0}`,
);

/**
 * KEYS meta, list; ARGV epoch, from, to. The retained texts of offsets from..to of that epoch, in order
 * (fewer, or none, when some are gone: trimmed, or the epoch changed). {first offset returned, texts...}.
 */
export const HISTORY_RANGE: LuaScript = lua(
  'history-range',
  `if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return {0} end
local last = tonumber(redis.call('HGET', KEYS[1], 'last'))
local len = redis.call('LLEN', KEYS[2])
local first = last - len + 1
local from = math.max(tonumber(ARGV[2]), first)
local to = math.min(tonumber(ARGV[3]), last)
if from > to then return {0} end
local out = {from}
for _, e in ipairs(redis.call('LRANGE', KEYS[2], from - first, to - first)) do
  out[#out + 1] = string.sub(e, string.find(e, ' ', 1, true) + 1)
end
return out`,
);

/**
 * KEYS client; ARGV journal field, n, the n entries the take journalled (as queued), then the entries it
 * delivers (plain, in delivery order). The ack journal must hold what was DELIVERED, not only what was
 * taken: a gap filled from the history (history-cluster.ts) was never in the queue, and a node that dies
 * after replying would otherwise lose it for good (issue 12 item 3). When the journal ends with the n
 * taken entries (the usual case: one take at a time per client), they are replaced by the delivered ones,
 * so a replay keeps the offset order; else (another take journalled meanwhile) the entries not taken
 * (the fills) are appended. A client gone meanwhile has no journal to fix. {} always.
 */
export const JOURNAL_DELIVERED: LuaScript = lua(
  'journal-delivered',
  `if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local old = redis.call('HGET', KEYS[1], ARGV[1])
local all = {}
if old then all = cjson.decode(old) end
local n = tonumber(ARGV[2])
local tail = #all >= n
for i = 1, n do
  if tail and all[#all - n + i] ~= ARGV[2 + i] then tail = false end
end
if tail then
  for _ = 1, n do table.remove(all) end
  for i = 3 + n, #ARGV do table.insert(all, ARGV[i]) end
else
  local taken = {}
  for i = 3, 2 + n do taken[ARGV[i]] = true end
  for i = 3 + n, #ARGV do if not taken[ARGV[i]] then table.insert(all, ARGV[i]) end end
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(all))
return {}`,
);
