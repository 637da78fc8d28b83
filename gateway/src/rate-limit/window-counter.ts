import type { RedisClient } from '@stagepass/kit'

/**
 * Adds hits to counters and returns, per counter, its count in the current window and the
 * milliseconds until that window ends. A window starts at a counter's first hit and is never
 * extended, so a client that keeps knocking while refused is let in again on time. Refused hits
 * count too. KEYS: the counters. ARGV: each counter's window (ms), then each counter's hits, in the
 * same order. Returns {count, ttl, …}.
 */
const HIT = `
local n = #KEYS
local answer = {}
for i, key in ipairs(KEYS) do
  local hits = tonumber(ARGV[n + i])
  local count = redis.call('INCRBY', key, hits)
  local ttl = -1
  if count > hits then ttl = redis.call('PTTL', key) end
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

interface Waiter {
  /** Per key of the request: its counter in the batch and how many hits came before it there. */
  slots: Array<[counter: number, before: number]>
  resolve(counts: WindowCount[]): void
  reject(err: unknown): void
}

interface Batch {
  keys: string[]
  windowsMs: number[]
  hits: number[]
  counterOf: Map<string, number>
  waiters: Waiter[]
}

/**
 * Counts hits in batches: the requests that arrive in one turn of the event loop are counted by one
 * script call per batch (per `slot`, the hash tag their keys share, so the call stays legal on
 * Redis Cluster), not one call each. Each request still gets the count it would have had alone:
 * hits on one key within a batch are numbered in arrival order.
 */
export function createWindowCounter(redis: RedisClient) {
  if (!('hitRateWindows' in redis)) redis.defineCommand('hitRateWindows', { lua: HIT })
  const hit = (redis as unknown as { hitRateWindows: HitCommand }).hitRateWindows
  const batches = new Map<string, Batch>()

  const flush = (slot: string) => {
    const batch = batches.get(slot) as Batch
    batches.delete(slot)
    hit.call(redis, batch.keys.length, ...batch.keys, ...batch.windowsMs, ...batch.hits).then(
      (reply) => {
        for (const waiter of batch.waiters) {
          waiter.resolve(
            waiter.slots.map(([counter, before]) => ({
              count: (reply[2 * counter] as number) - (batch.hits[counter] as number) + before + 1,
              resetMs: reply[2 * counter + 1] as number,
            })),
          )
        }
      },
      (err) => {
        for (const waiter of batch.waiters) waiter.reject(err)
      },
    )
  }

  /** Counts one request's hit on each key; `slot` is the hash tag every key shares. */
  return function countHits(
    slot: string,
    keys: readonly string[],
    windowsMs: readonly number[],
  ): Promise<WindowCount[]> {
    let batch = batches.get(slot)
    if (!batch) {
      batch = { keys: [], windowsMs: [], hits: [], counterOf: new Map(), waiters: [] }
      batches.set(slot, batch)
      setImmediate(flush, slot)
    }
    const slots: Waiter['slots'] = []
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string
      let counter = batch.counterOf.get(key)
      if (counter === undefined) {
        counter = batch.keys.length
        batch.counterOf.set(key, counter)
        batch.keys.push(key)
        batch.windowsMs.push(windowsMs[i] as number)
        batch.hits.push(0)
      }
      slots.push([counter, batch.hits[counter] as number])
      batch.hits[counter] = (batch.hits[counter] as number) + 1
    }
    const { waiters } = batch
    return new Promise((resolve, reject) => waiters.push({ slots, resolve, reject }))
  }
}

export type WindowCounter = ReturnType<typeof createWindowCounter>
