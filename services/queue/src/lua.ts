/**
 * The waiting room's Lua scripts. Each runs atomically in Redis, so any number of queue instances
 * (and gateways) can call them at once. Inside a script time is Redis's own clock (TIME), never an
 * instance's: admission stamps a token's `admittedAt` and `expiresAt` with it, and every script
 * judges expiry, abandonment and the admission budget by it, so instances with skewed clocks agree.
 * Outside the scripts, one check reads the reader's clock instead: `createTokenStateReader`'s single
 * HGET compares `expiresAt` with the calling process's clock (the gateway's guard, on every request),
 * as does the guard's cache (gateway/src/guard); a skewed gateway moves a token's end by its skew.
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
-- A user's place in line: the token id and how many are ahead. Users placed by an opening draw
-- (drawn) come before direct arrivals (waiting), whose score is their token id.
local function place_in_line(drawn, waiting, tokens, user)
  local rank = redis.call('ZRANK', drawn, user)
  if rank then return redis.call('HGET', tokens, user), rank end
  rank = redis.call('ZRANK', waiting, user)
  if not rank then return nil end
  return redis.call('ZSCORE', waiting, user), redis.call('ZCARD', drawn) + rank
end
-- The opening. The pre-queue is already ordered by random keys (drawn at each join from the
-- caller's CSPRNG, so the order is a uniformly random permutation); the first script to run once
-- Redis's clock reaches opensAt puts that order in line ahead of every direct arrival, in O(1)
-- (RENAME), and forgets the opening: one atomic step, so it happens exactly once whatever the
-- number of instances. Returns opensAt while it is still ahead.
local function draw_if_due(settings, pre, drawn, now)
  local opens = tonumber(redis.call('HGET', settings, 'opensAt'))
  if not opens or now < opens then return opens end
  redis.call('HDEL', settings, 'opensAt')
  local n = redis.call('ZCARD', pre)
  redis.call('HINCRBY', settings, 'draws', 1)
  redis.call('HSET', settings, 'lastDrawAt', tostring(opens), 'lastDrawUsers', n)
  if n > 0 then
    if redis.call('EXISTS', drawn) == 1 then
      -- Users of an earlier opening still in line: this opening's keys are a band above theirs.
      redis.call('ZUNIONSTORE', drawn, 2, drawn, pre)
      redis.call('DEL', pre)
    else
      redis.call('RENAME', pre, drawn)
    end
  end
  return nil
end
-- How many hold or wait for a place: the line (drawn and direct arrivals) and the pre-queue.
local function line_size(waiting, pre, drawn)
  return redis.call('ZCARD', waiting) + redis.call('ZCARD', pre) + redis.call('ZCARD', drawn)
end
-- The line's capacity: the operators' override, else the configured default.
local function line_capacity(settings, default)
  return tonumber(redis.call('HGET', settings, 'capacity')) or tonumber(default)
end
-- How long the head of the line has waited (ms): drawn users since their opening, direct arrivals
-- from the join mark of their second. Also returns the mark to prune below.
local function head_wait(drawn, waiting, marks, settings, now)
  if redis.call('EXISTS', drawn) == 1 then
    local opened = tonumber(redis.call('HGET', settings, 'lastDrawAt')) or now
    return math.max(now - opened, 0), nil
  end
  local head = redis.call('ZRANGE', waiting, 0, 0, 'WITHSCORES')
  if #head == 0 then return 0, nil end
  local mark = redis.call('ZREVRANGEBYSCORE', marks, head[2], '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if #mark == 0 then return 0, nil end
  return math.max(now - tonumber(mark[1]), 0), mark[2]
end
`

/**
 * Joins the line, or finds the user's live place, pre-queue place or ACTIVE token (idempotent per
 * user: a live place needs no proof of work), for each of the users given, in order: the joins of
 * one turn of a queue instance's event loop go as one call (store.ts). A new place must carry a
 * proof when the difficulty is above 0; a given proof is checked for expiry and difficulty and spent
 * (single use) here, in the same step that makes the place, so a refused join writes nothing. Before
 * an opening, a new place goes to the pre-queue with its random draw key (in the band of this
 * opening). A full line (the pre-queue counts) makes no new place; users who hold one keep it.
 * KEYS: sequence, waiting, lastSeen, active, activeTokens, joinMarks, settings, preQueue, drawn,
 *       drawnTokens, then each user's proofMark.
 * ARGV: default line capacity, default admitPerSecond, then per user: userId, draw key in (0, 1],
 *       challenge id or '', challenge difficulty, challenge expiresAt (ms).
 * Returns one reply per user: {status, tokenId, queueOrder | expiresAt | opensAt, now, joined},
 * status WAITING, ACTIVE or PREQUEUE; or {'REFUSED', code, current difficulty}; or {'REFUSED',
 * 'QUEUE_FULL', capacity, admitPerSecond} when a new place would take the line (pre-queue included)
 * past its capacity.
 */
export const JOIN = `${PRELUDE}
local now = now_ms()
local opens = draw_if_due(KEYS[7], KEYS[8], KEYS[9], now)
local function join(user, draw_key, proof_id, proof_difficulty, proof_expires, proof_mark)
  local entry = redis.call('HGET', KEYS[5], user)
  if entry then
    local id, _, expires = parse_active(entry)
    if expires > now then return {'ACTIVE', id, tostring(expires), tostring(now), 0} end
    -- Lapsed but not yet swept by a tick: the old token is gone either way.
    redis.call('HDEL', KEYS[5], user)
    redis.call('ZREM', KEYS[4], user)
  end
  local id, rank = place_in_line(KEYS[9], KEYS[2], KEYS[10], user)
  if id then
    redis.call('ZADD', KEYS[3], now, user)
    return {'WAITING', id, tostring(rank), tostring(now), 0}
  end
  if redis.call('ZSCORE', KEYS[8], user) then
    return {'PREQUEUE', redis.call('HGET', KEYS[10], user), tostring(opens or 0), tostring(now), 0}
  end

  -- A new place only while the line has room: checked and taken in this one step, so no flood of
  -- concurrent joins can overshoot it. A refusal writes nothing (a proof sent along is not spent).
  local capacity = line_capacity(KEYS[7], ARGV[1])
  if line_size(KEYS[2], KEYS[8], KEYS[9]) >= capacity then
    local rate = tonumber(redis.call('HGET', KEYS[7], 'admitPerSecond')) or tonumber(ARGV[2])
    return {'REFUSED', 'QUEUE_FULL', capacity, rate}
  end

  local required = tonumber(redis.call('HGET', KEYS[7], 'powDifficulty')) or 0
  if proof_id ~= '' then
    local expires = tonumber(proof_expires)
    if now >= expires then return {'REFUSED', 'PROOF_EXPIRED', required} end
    if tonumber(proof_difficulty) < required then return {'REFUSED', 'PROOF_TOO_EASY', required} end
    -- The mark lives as long as the challenge could still be accepted.
    if not redis.call('SET', proof_mark, user, 'PX', expires - now, 'NX') then
      return {'REFUSED', 'PROOF_REPLAYED', required}
    end
  elseif required > 0 then
    return {'REFUSED', 'PROOF_REQUIRED', required}
  end

  id = tostring(redis.call('INCR', KEYS[1]))
  if opens then
    local band = tonumber(redis.call('HGET', KEYS[7], 'draws')) or 0
    redis.call('ZADD', KEYS[8], band + tonumber(draw_key), user)
    redis.call('HSET', KEYS[10], user, id)
    return {'PREQUEUE', id, tostring(opens), tostring(now), 1}
  end
  redis.call('ZADD', KEYS[2], id, user)
  local last = redis.call('ZRANGE', KEYS[6], -1, -1)
  if #last == 0 or math.floor(tonumber(last[1]) / 1000) ~= math.floor(now / 1000) then
    redis.call('ZADD', KEYS[6], id, tostring(now))
  end
  redis.call('ZADD', KEYS[3], now, user)
  return {'WAITING', id, tostring(redis.call('ZCARD', KEYS[9]) + redis.call('ZRANK', KEYS[2], user)), tostring(now), 1}
end
local replies = {}
for i = 1, (#ARGV - 2) / 5 do
  local a = 3 + (i - 1) * 5
  replies[i] = join(ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], KEYS[10 + i])
end
return replies
`

/**
 * Users' token states, in order (the polls of one turn of a queue instance's event loop go as one
 * call; store.ts); with a token id, only if that exact token is the live one. A poll (touch = '1')
 * keeps a WAITING user's place from being abandoned; a drawn user's first poll after the opening
 * starts that clock. Pre-queue places are never abandoned.
 * KEYS: waiting, lastSeen, activeTokens, settings, preQueue, drawn, drawnTokens, revoked.
 * ARGV: per user: userId, tokenId or '', touch '1' | '0'.
 * Returns one reply per user: {status, tokenId, queueOrder | expiresAt | opensAt, now}; status
 * REVOKED when that exact token was revoked (until it would have expired), NONE when there is no
 * live token.
 */
export const STATUS = `${PRELUDE}
local now = now_ms()
local opens = draw_if_due(KEYS[4], KEYS[5], KEYS[6], now)
local function status(user, expected, touch)
  local entry = redis.call('HGET', KEYS[3], user)
  if entry then
    local id, _, expires = parse_active(entry)
    if expires > now and (expected == '' or expected == id) then
      return {'ACTIVE', id, tostring(expires), tostring(now)}
    end
  end
  if expected ~= '' then
    -- Revoked before it would have expired: every string of the token (any key that signed it) is refused.
    local until_ms = tonumber(redis.call('ZSCORE', KEYS[8], user .. ':' .. expected))
    if until_ms and until_ms > now then return {'REVOKED', expected, '', tostring(now)} end
  end
  local none = {'NONE', '', '', tostring(now)}
  local id, rank = place_in_line(KEYS[6], KEYS[1], KEYS[7], user)
  if id then
    if expected ~= '' and expected ~= id then return none end
    if touch == '1' then redis.call('ZADD', KEYS[2], now, user) end
    return {'WAITING', id, tostring(rank), tostring(now)}
  end
  if redis.call('ZSCORE', KEYS[5], user) then
    id = redis.call('HGET', KEYS[7], user)
    if expected ~= '' and expected ~= id then return none end
    return {'PREQUEUE', id, tostring(opens or 0), tostring(now)}
  end
  return none
end
local replies = {}
for i = 1, #ARGV / 3 do
  local a = (i - 1) * 3
  replies[i] = status(ARGV[a + 1], ARGV[a + 2], ARGV[a + 3])
end
return replies
`

/**
 * One admission tick, after the sweep (SWEEP): admit the head of the line (drawn users first, then
 * direct arrivals) within the shared budget (admitPerSecond × time since the last tick by any
 * instance) and never beyond maxActive. A drawn user reached in line who has not polled since the
 * opening, abandonAfter after it, is dropped.
 * KEYS: waiting, lastSeen, active, activeTokens, settings, budget, admissions, joinMarks, preQueue,
 *       drawn, drawnTokens.
 * ARGV: default admitPerSecond, default maxActive, default paused ('1'/'0'), activeTtlMs,
 *       abandonAfterMs, drawn users to pass over at most, batch limit, default line capacity.
 * Returns {admitted, dropped, active, waiting, measuredRate, headWaitMs, admitPerSecond, maxActive,
 *          paused, capacity, preQueue}.
 */
export const ADMIT = `${PRELUDE}
local now = now_ms()
local sec = math.floor(now / 1000)
local limit = tonumber(ARGV[6])
local abandon_after = tonumber(ARGV[5])
draw_if_due(KEYS[5], KEYS[9], KEYS[10], now)

local dropped = 0

local s = redis.call('HMGET', KEYS[5], 'admitPerSecond', 'maxActive', 'paused', 'lastDrawAt')
local rate = tonumber(s[1]) or tonumber(ARGV[1])
local max_active = tonumber(s[2]) or tonumber(ARGV[2])
local paused = (s[3] or ARGV[3]) == '1'
local unpolled_are_gone = now - (tonumber(s[4]) or now) > abandon_after

local active = redis.call('ZCARD', KEYS[3])
local waiting = redis.call('ZCARD', KEYS[10]) + redis.call('ZCARD', KEYS[1])
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
  local expires = now + tonumber(ARGV[4])
  local users = {}
  local function admit(user, id)
    users[#users + 1] = user
    redis.call('ZADD', KEYS[3], expires, user)
    redis.call('HSET', KEYS[4], user, id .. ':' .. tostring(now) .. ':' .. tostring(expires))
  end
  -- Drawn users first; the ones who never came back after the opening make room as they are reached.
  local popped_drawn = 0
  while #users < n and popped_drawn < n + limit do
    local popped = redis.call('ZPOPMIN', KEYS[10], n - #users)
    if #popped == 0 then break end
    popped_drawn = popped_drawn + #popped / 2
    for i = 1, #popped, 2 do
      local user = popped[i]
      local id = redis.call('HGET', KEYS[11], user)
      redis.call('HDEL', KEYS[11], user)
      if unpolled_are_gone and not redis.call('ZSCORE', KEYS[2], user) then
        dropped = dropped + 1
      else
        admit(user, id)
      end
    end
  end
  if #users < n then
    local popped = redis.call('ZPOPMIN', KEYS[1], n - #users)
    for i = 1, #popped, 2 do admit(popped[i], popped[i + 1]) end
  end
  if #users > 0 then
    redis.call('ZREM', KEYS[2], unpack(users))
    redis.call('HINCRBY', KEYS[7], sec, #users)
  end
  admitted = #users
  active = active + admitted
  waiting = waiting - admitted - dropped
  -- Budget left unused for lack of room or of users is dropped, not saved up.
  if n == want then carry = allowance - n else carry = 0 end
end
redis.call('HSET', KEYS[6], 'at', now, 'carry', tostring(carry))

local measured, fields = measured_rate(KEYS[7], sec)
for i = 1, #fields, 2 do
  if tonumber(fields[i]) < sec - 60 then redis.call('HDEL', KEYS[7], fields[i]) end
end

local wait_ms, mark_id = head_wait(KEYS[10], KEYS[1], KEYS[8], KEYS[5], now)
if mark_id then
  redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', '(' .. mark_id)
elseif redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[8])
end

return {admitted, dropped, active, waiting, tostring(measured), wait_ms, rate, max_active, paused and 1 or 0,
  line_capacity(KEYS[5], ARGV[8]), redis.call('ZCARD', KEYS[9])}
`

/**
 * One batch of the sweep: expires ACTIVE tokens past their expiry and drops WAITING users not seen
 * for abandonAfter, at most `limit` of each. Batches
 * keep each call short (Redis serves nothing else while a script runs); the caller repeats while a
 * batch comes back full, within its time budget, so the sweep keeps up with any rate of arrivals.
 * KEYS: waiting, lastSeen, active, activeTokens, drawn, drawnTokens.
 * ARGV: abandonAfterMs, limit.
 * Returns {expired, abandoned}.
 */
export const SWEEP = `${PRELUDE}
local now = now_ms()
local limit = tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, limit)
if #expired > 0 then
  redis.call('ZREM', KEYS[3], unpack(expired))
  redis.call('HDEL', KEYS[4], unpack(expired))
end
local abandoned = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, limit)
if #abandoned > 0 then
  redis.call('ZREM', KEYS[1], unpack(abandoned))
  redis.call('ZREM', KEYS[5], unpack(abandoned))
  redis.call('ZREM', KEYS[2], unpack(abandoned))
  redis.call('HDEL', KEYS[6], unpack(abandoned))
end
return {#expired, #abandoned}
`

/**
 * Queue statistics for operators, read in one step (after the opening draw, if it is due).
 * KEYS: waiting, active, settings, admissions, joinMarks, preQueue, drawn.
 * ARGV: default admitPerSecond, default maxActive, default paused, default line capacity.
 * Returns {waiting, active, measuredRate, headWaitMs, admitPerSecond, maxActive, paused,
 *          powDifficulty, opensAt | '', preQueue, lastDrawAt | '', lastDrawUsers, capacity}.
 */
export const STATS = `${PRELUDE}
local now = now_ms()
local opens = draw_if_due(KEYS[3], KEYS[6], KEYS[7], now)
local s = redis.call('HMGET', KEYS[3], 'admitPerSecond', 'maxActive', 'paused', 'powDifficulty', 'lastDrawAt',
  'lastDrawUsers')
local measured = measured_rate(KEYS[4], math.floor(now / 1000))
local wait_ms = head_wait(KEYS[7], KEYS[1], KEYS[5], KEYS[3], now)
return {redis.call('ZCARD', KEYS[7]) + redis.call('ZCARD', KEYS[1]), redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf'),
  tostring(measured), wait_ms, tonumber(s[1]) or tonumber(ARGV[1]), tonumber(s[2]) or tonumber(ARGV[2]),
  ((s[3] or ARGV[3]) == '1') and 1 or 0, tonumber(s[4]) or 0, opens and tostring(opens) or '',
  redis.call('ZCARD', KEYS[6]), s[5] or '', tonumber(s[6]) or 0, line_capacity(KEYS[3], ARGV[4])}
`

/**
 * Applies an operator's change to the settings (field/value pairs; an empty value removes the
 * field). The draw runs first if it is due and again after the change, so moving the opening into
 * the past opens at once. Cancelling an opening (opensAt '') while users wait in the pre-queue is
 * refused: their places would have no opening to reach.
 * KEYS: settings, preQueue, drawn. ARGV: field, value, field, value...
 * Returns {'OK'} or {'REFUSED', users in the pre-queue}.
 */
export const CHANGE_SETTINGS = `${PRELUDE}
local now = now_ms()
draw_if_due(KEYS[1], KEYS[2], KEYS[3], now)
for i = 1, #ARGV, 2 do
  if ARGV[i] == 'opensAt' and ARGV[i + 1] == '' then
    local waiting = redis.call('ZCARD', KEYS[2])
    if waiting > 0 then return {'REFUSED', waiting} end
  end
end
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
draw_if_due(KEYS[1], KEYS[2], KEYS[3], now)
return {'OK'}
`

/**
 * What a proof-of-work challenge is issued with: the current difficulty and Redis's clock.
 * KEYS: settings. Returns {powDifficulty, now}.
 */
export const CHALLENGE_TERMS = `${PRELUDE}
return {tonumber(redis.call('HGET', KEYS[1], 'powDifficulty')) or 0, tostring(now_ms())}
`

/**
 * Expires a user's ACTIVE token after a payment, unless that token was admitted after the payment
 * (a redelivered event must not revoke a later visit), and records the revocation in the stream
 * guards follow (trimmed to the last minute), and the token (user and token id) in the revoked set
 * until its expiry, so whichever key signed a string of it, it reads as revoked.
 * KEYS: active, activeTokens, revocations, revoked. ARGV: userId, latest admission time (ms) to revoke.
 * Returns 1 when a token was revoked.
 */
export const REVOKE = `${PRELUDE}
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry then return 0 end
local id, admitted = parse_active(entry)
if admitted > tonumber(ARGV[2]) then return 0 end
local _, _, expires = parse_active(entry)
local now = now_ms()
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
-- The token, not a string of it: remembered as revoked until it would have expired anyway. Each
-- revocation forgets the lapsed ones, so the set holds at most the revocations of one activeTtl.
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
redis.call('ZADD', KEYS[4], expires, ARGV[1] .. ':' .. id)
redis.call('XADD', KEYS[3], 'MINID', '~', tostring(now - 60000), '*', 'user', ARGV[1], 'token', id)
return 1
`
