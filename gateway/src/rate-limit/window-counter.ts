import type { Redis } from 'ioredis'

/**
 * Counts a hit on every key given and returns, per key, its count in the current window and the
 * milliseconds until that window ends. A window starts at a key's first hit and is never extended,
 * so a client that keeps knocking while refused is let in again on time. Refused hits count too.
 * KEYS: the counters. ARGV: each counter's window (ms), in the same order. Returns {count, ttl, …}.
 */
const HIT = `
local answer = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = -1
  if count > 1 then ttl = redis.call('PTTL', key) end
  if ttl < 0 then
    ttl = tonumber(ARGV[i])
    redis.call('PEXPIRE', key, ttl)
  end
  answer[#answer + 1] = count
  answer[#answer + 1] = ttl
end
return answer
`

export interface WindowCount {
  count: number
  resetMs: number
}

type HitCommand = (numberOfKeys: number, ...args: Array<string | number>) => Promise<number[]>

/**
 * One script call per request, whatever the number of keys: the keys of one call must share a
 * hash tag (one Redis Cluster slot), which the caller's key names guarantee.
 */
export function createWindowCounter(redis: Redis) {
  if (!('hitRateWindows' in redis)) redis.defineCommand('hitRateWindows', { lua: HIT })
  const hit = (redis as unknown as { hitRateWindows: HitCommand }).hitRateWindows
  return async function countHits(keys: readonly string[], windowsMs: readonly number[]): Promise<WindowCount[]> {
    const reply = await hit.call(redis, keys.length, ...keys, ...windowsMs)
    return keys.map((_, i) => ({ count: reply[2 * i] as number, resetMs: reply[2 * i + 1] as number }))
  }
}

export type WindowCounter = ReturnType<typeof createWindowCounter>
