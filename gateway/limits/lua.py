"""Lua scripts run atomically inside Valkey; each mirrors one method of `MemoryStore`.

Numbers cross into commands through `int()` (`string.format('%d')`): Lua would otherwise print large
numbers in exponent form, which HINCRBY rejects. Amounts are integer nanodollars, exact in Lua's
doubles below 2**53. With an empty `now` argument a script reads the server clock, so replicas with
skewed clocks still agree on lease and window expiry.
"""

from __future__ import annotations

__all__ = ["HIT", "RESERVE", "SEED", "SETTLE"]

_PRELUDE = """
local function int(x) return string.format('%d', x) end
local function clock(arg)
  local now = tonumber(arg)
  if now then return now end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""

RESERVE = (
    _PRELUDE
    + """
-- KEYS: per hold, its counter hash then its lease zset
-- ARGV: reservation id, now ms ('' = server clock), lease ms,
--       then per hold: limit (-1 = never refuse), amount, expire-at ms (0 = never)
-- A live reservation id adds to its hold and renews its lease (ZADD moves its one score).
local rid, now, lease = ARGV[1], clock(ARGV[2]), tonumber(ARGV[3])
local n = #KEYS / 2
local out = {1, 0}
for i = 1, n do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  local dead = redis.call('ZRANGEBYSCORE', z, '-inf', now)
  for _, old in ipairs(dead) do
    local held = redis.call('HGET', h, 'r:' .. old)
    if held then
      redis.call('HINCRBY', h, 'reserved', int(-tonumber(held)))
      redis.call('HDEL', h, 'r:' .. old)
    end
  end
  if #dead > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', now) end
  local v = redis.call('HMGET', h, 'spent', 'reserved')
  local used = (tonumber(v[1]) or 0) + (tonumber(v[2]) or 0)
  out[#out + 1] = used
  local limit, amount = tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  if limit >= 0 and (used + amount > limit or (amount == 0 and used >= limit)) then
    out[1], out[2] = 0, i
    return out
  end
end
for i = 1, n do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('HINCRBY', h, 'reserved', ARGV[3 * i + 2])
  redis.call('HINCRBY', h, 'r:' .. rid, ARGV[3 * i + 2])
  redis.call('ZADD', z, int(now + lease), rid)
  if tonumber(ARGV[3 * i + 3]) > 0 then
    redis.call('PEXPIREAT', h, ARGV[3 * i + 3])
    redis.call('PEXPIREAT', z, ARGV[3 * i + 3])
  end
end
return out
"""
)

SETTLE = (
    _PRELUDE
    + """
-- KEYS: per counter, its hash then its lease zset
-- ARGV: reservation id, then per counter the amount to add as spent
-- A counter whose period expired is gone: nothing is charged to it and it is not recreated.
local rid = ARGV[1]
local out = {}
for i = 1, #KEYS / 2 do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  local held = redis.call('HGET', h, 'r:' .. rid)
  if held then
    redis.call('HINCRBY', h, 'reserved', int(-tonumber(held)))
    redis.call('HDEL', h, 'r:' .. rid)
    redis.call('ZREM', z, rid)
  end
  if redis.call('EXISTS', h) == 1 then
    if tonumber(ARGV[i + 1]) ~= 0 then redis.call('HINCRBY', h, 'spent', ARGV[i + 1]) end
    local v = redis.call('HMGET', h, 'spent', 'reserved')
    out[i] = (tonumber(v[1]) or 0) + (tonumber(v[2]) or 0)
  else
    out[i] = 0
  end
end
return out
"""
)

HIT = (
    _PRELUDE
    + """
-- KEYS: per window, its log zset (members 'uid:weight', scored by ms) then its sum key
-- ARGV: now ms ('' = server clock), entry uid, then per window: limit (-1 = record only),
--       weight (0 = check only), window ms
-- Returns {1, 0, 0} when recorded on all windows, {0, i, retry-after ms} when window i refused.
local now, uid = clock(ARGV[1]), ARGV[2]
local n = #KEYS / 2
local sums = {}
for i = 1, n do
  local z, s = KEYS[2 * i - 1], KEYS[2 * i]
  local cutoff = now - tonumber(ARGV[3 * i + 2])
  local gone = 0
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', z, '-inf', cutoff)) do
    gone = gone + tonumber(string.match(member, ':(%d+)$'))
  end
  if gone > 0 then
    redis.call('ZREMRANGEBYSCORE', z, '-inf', cutoff)
    redis.call('DECRBY', s, int(gone))
  end
  sums[i] = tonumber(redis.call('GET', s)) or 0
end
for i = 1, n do
  local limit, weight = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
  local window = tonumber(ARGV[3 * i + 2])
  local need = 0
  if limit >= 0 then
    if weight > 0 then need = sums[i] + weight - limit else need = sums[i] - limit + 1 end
  end
  if need > 0 then
    local freed, start = 0, 0
    while true do
      local page = redis.call('ZRANGE', KEYS[2 * i - 1], start, start + 127, 'WITHSCORES')
      if #page == 0 then return {0, i, window} end
      for j = 1, #page, 2 do
        freed = freed + tonumber(string.match(page[j], ':(%d+)$'))
        if freed >= need then return {0, i, math.max(0, tonumber(page[j + 1]) + window - now)} end
      end
      start = start + 128
    end
  end
end
for i = 1, n do
  local weight = tonumber(ARGV[3 * i + 1])
  if weight > 0 then
    local z, s, ttl = KEYS[2 * i - 1], KEYS[2 * i], int(tonumber(ARGV[3 * i + 2]) + 1000)
    redis.call('ZADD', z, int(now), uid .. ':' .. ARGV[3 * i + 1])
    redis.call('INCRBY', s, ARGV[3 * i + 1])
    redis.call('PEXPIRE', z, ttl)
    redis.call('PEXPIRE', s, ttl)
  end
end
return {1, 0, 0}
"""
)

SEED = """
-- KEYS: the counter hash. ARGV: spent, expire-at ms (0 = never).
-- Creates the counter from durable spend (after a flush or a restart without persistence); an
-- existing counter is the live truth and is left alone.
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
redis.call('HSET', KEYS[1], 'spent', ARGV[1], 'reserved', '0')
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return {1}
"""
