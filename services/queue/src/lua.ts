/**
 * The waiting room's Lua scripts. Each runs atomically in Redis, so any number of queue instances
 * (and gateways) can call them at once. Time is Redis's own clock (TIME), never an instance's, so
 * instances with skewed clocks agree on expiry, abandonment and the admission budget.
 */

const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- "tokenId:admittedAt:expiresAt"
local function parse_active(entry)
  local id, admitted, expires = string.match(entry, '^(%d+):(%d+):(%d+)$')
  return id, tonumber(admitted), tonumber(expires)
end
-- Admissions per second over the last ten whole seconds, since the first admission among them.
local function measured_rate(admissions, sec)
  local fields = redis.call('HGETALL', admissions)
  local total, first = 0, sec
  for i = 1, #fields, 2 do
    local s = tonumber(fields[i])
    if s >= sec - 10 and s < sec then
      total = total + tonumber(fields[i + 1])
      if s < first then first = s end
    end
  end
  if total == 0 then return 0, fields end
  return total / (sec - first), fields
end
-- How long the head of the line has waited (ms), from the join mark of its second.
local function head_wait(waiting, marks, now)
  local head = redis.call('ZRANGE', waiting, 0, 0, 'WITHSCORES')
  if #head == 0 then return 0, nil end
  local mark = redis.call('ZREVRANGEBYSCORE', marks, head[2], '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if #mark == 0 then return 0, nil end
  return math.max(now - tonumber(mark[1]), 0), mark[2]
end
`

/**
 * Joins the line, or finds the user's live place or ACTIVE token (idempotent per user).
 * KEYS: sequence, waiting, lastSeen, active, activeTokens, joinMarks. ARGV: userId.
 * Returns {status, tokenId, queueOrder | expiresAt, now, joined}.
 */
export const JOIN = `${PRELUDE}
local user = ARGV[1]
local now = now_ms()
local entry = redis.call('HGET', KEYS[5], user)
if entry then
  local id, _, expires = parse_active(entry)
  if expires > now then return {'ACTIVE', id, tostring(expires), tostring(now), 0} end
  -- Lapsed but not yet swept by a tick: the old token is gone either way.
  redis.call('HDEL', KEYS[5], user)
  redis.call('ZREM', KEYS[4], user)
end
local id = redis.call('ZSCORE', KEYS[2], user)
local joined = 0
if not id then
  id = tostring(redis.call('INCR', KEYS[1]))
  redis.call('ZADD', KEYS[2], id, user)
  joined = 1
  local last = redis.call('ZRANGE', KEYS[6], -1, -1)
  if #last == 0 or math.floor(tonumber(last[1]) / 1000) ~= math.floor(now / 1000) then
    redis.call('ZADD', KEYS[6], id, tostring(now))
  end
end
redis.call('ZADD', KEYS[3], now, user)
return {'WAITING', id, tostring(redis.call('ZRANK', KEYS[2], user)), tostring(now), joined}
`

/**
 * A user's token state; with a token id, only if that exact token is the live one. A poll (touch
 * = '1') keeps a WAITING user's place from being abandoned.
 * KEYS: waiting, lastSeen, activeTokens. ARGV: userId, tokenId or '', touch '1' | '0'.
 * Returns {status, tokenId, queueOrder | expiresAt, now}; status NONE when there is no live token.
 */
export const STATUS = `${PRELUDE}
local user, expected = ARGV[1], ARGV[2]
local now = now_ms()
local entry = redis.call('HGET', KEYS[3], user)
if entry then
  local id, _, expires = parse_active(entry)
  if expires > now and (expected == '' or expected == id) then
    return {'ACTIVE', id, tostring(expires), tostring(now)}
  end
end
local id = redis.call('ZSCORE', KEYS[1], user)
if not id or (expected ~= '' and expected ~= id) then return {'NONE', '', '', tostring(now)} end
if ARGV[3] == '1' then redis.call('ZADD', KEYS[2], 'XX', now, user) end
return {'WAITING', id, tostring(redis.call('ZRANK', KEYS[1], user)), tostring(now)}
`

/**
 * One admission tick: expire ACTIVE tokens, drop WAITING users who stopped polling, then admit the
 * head of the line within the shared budget (admitPerSecond × time since the last tick by any
 * instance) and never beyond maxActive.
 * KEYS: waiting, lastSeen, active, activeTokens, settings, budget, admissions, joinMarks.
 * ARGV: default admitPerSecond, default maxActive, default paused ('1'/'0'), activeTtlMs,
 *       abandonAfterMs, sweep limit, batch limit.
 * Returns {admitted, expired, abandoned, active, waiting, measuredRate, headWaitMs,
 *          admitPerSecond, maxActive, paused}.
 */
export const ADMIT = `${PRELUDE}
local now = now_ms()
local sec = math.floor(now / 1000)
local limit = tonumber(ARGV[6])

local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, limit)
if #expired > 0 then
  redis.call('ZREM', KEYS[3], unpack(expired))
  redis.call('HDEL', KEYS[4], unpack(expired))
end

local abandoned = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[5]), 'LIMIT', 0, limit)
if #abandoned > 0 then
  redis.call('ZREM', KEYS[1], unpack(abandoned))
  redis.call('ZREM', KEYS[2], unpack(abandoned))
end

local s = redis.call('HMGET', KEYS[5], 'admitPerSecond', 'maxActive', 'paused')
local rate = tonumber(s[1]) or tonumber(ARGV[1])
local max_active = tonumber(s[2]) or tonumber(ARGV[2])
local paused = (s[3] or ARGV[3]) == '1'

local active = redis.call('ZCARD', KEYS[3])
local waiting = redis.call('ZCARD', KEYS[1])
local budget = redis.call('HMGET', KEYS[6], 'at', 'carry')
local at, carry = tonumber(budget[1]), tonumber(budget[2]) or 0
local admitted = 0
if paused or not at or waiting == 0 then
  -- No demand or no admission: nothing accrues, so resuming never releases a burst.
  carry = 0
else
  -- A stalled tick makes up at most one second: admissions never outrun rate × elapsed time.
  local elapsed = math.min(math.max(now - at, 0), 1000)
  local allowance = carry + elapsed * rate / 1000
  local want = math.floor(allowance)
  local n = math.min(want, math.max(max_active - active, 0), waiting, tonumber(ARGV[7]))
  if n > 0 then
    local popped = redis.call('ZPOPMIN', KEYS[1], n)
    local expires = now + tonumber(ARGV[4])
    local users = {}
    for i = 1, #popped, 2 do
      local user = popped[i]
      users[#users + 1] = user
      redis.call('ZADD', KEYS[3], expires, user)
      redis.call('HSET', KEYS[4], user, popped[i + 1] .. ':' .. tostring(now) .. ':' .. tostring(expires))
    end
    redis.call('ZREM', KEYS[2], unpack(users))
    redis.call('HINCRBY', KEYS[7], sec, n)
    admitted = n
    active = active + n
    waiting = waiting - n
  end
  -- Budget left unused for lack of room or of users is dropped, not saved up.
  if n == want then carry = allowance - n else carry = 0 end
end
redis.call('HSET', KEYS[6], 'at', now, 'carry', tostring(carry))

local measured, fields = measured_rate(KEYS[7], sec)
for i = 1, #fields, 2 do
  if tonumber(fields[i]) < sec - 60 then redis.call('HDEL', KEYS[7], fields[i]) end
end

local wait_ms, mark_id = head_wait(KEYS[1], KEYS[8], now)
if mark_id then
  redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', '(' .. mark_id)
elseif waiting == 0 then
  redis.call('DEL', KEYS[8])
end

return {admitted, #expired, #abandoned, active, waiting, tostring(measured), wait_ms, rate, max_active,
  paused and 1 or 0}
`

/**
 * Queue statistics for operators, read in one step.
 * KEYS: waiting, active, settings, admissions, joinMarks. ARGV: default admitPerSecond,
 * default maxActive, default paused.
 * Returns {waiting, active, measuredRate, headWaitMs, admitPerSecond, maxActive, paused}.
 */
export const STATS = `${PRELUDE}
local now = now_ms()
local s = redis.call('HMGET', KEYS[3], 'admitPerSecond', 'maxActive', 'paused')
local measured = measured_rate(KEYS[4], math.floor(now / 1000))
local wait_ms = head_wait(KEYS[1], KEYS[5], now)
return {redis.call('ZCARD', KEYS[1]), redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf'), tostring(measured),
  wait_ms, tonumber(s[1]) or tonumber(ARGV[1]), tonumber(s[2]) or tonumber(ARGV[2]),
  ((s[3] or ARGV[3]) == '1') and 1 or 0}
`

/**
 * Expires a user's ACTIVE token after a payment, unless that token was admitted after the payment
 * (a redelivered event must not revoke a later visit), and records the revocation in the stream
 * guards follow (trimmed to the last minute).
 * KEYS: active, activeTokens, revocations. ARGV: userId, latest admission time (ms) to revoke.
 * Returns 1 when a token was revoked.
 */
export const REVOKE = `${PRELUDE}
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry then return 0 end
local id, admitted = parse_active(entry)
if admitted > tonumber(ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('XADD', KEYS[3], 'MINID', '~', tostring(now_ms() - 60000), '*', 'user', ARGV[1], 'token', id)
return 1
`
