/**
 * Loads N waiting users into a queue (through the same Lua script as `POST /queue/tokens`), then
 * reports Redis memory per waiting user and how fast status lookups are at that size.
 *
 *   node services/queue/dist/src/scripts/load-waiting-users.js [--users 1000000] [--prefix sp-load:] [--keep]
 *
 * It writes under its own prefix (default `sp-load:`), never the deployment's, and removes what it
 * wrote unless `--keep` is given. No queue instance ticks on that prefix, so nobody is admitted or
 * abandoned while it measures.
 */
import { parseArgs } from 'node:util'
import { openScratchStore } from './scratch-store.js'

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    prefix: { type: 'string', default: 'sp-load:' },
    'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    batch: { type: 'string', default: '2000' },
    keep: { type: 'boolean', default: false },
  },
})
const users = Number(values.users)
const batch = Number(values.batch)
const prefix = values.prefix
if (!Number.isInteger(users) || users < 1) throw new Error('--users must be a positive integer')

const { redis, store, allKeys } = await openScratchStore(values['redis-url'], prefix)
const { keys } = store

async function usedMemory(): Promise<number> {
  const info = await redis.info('memory')
  return Number(/used_memory:(\d+)/.exec(info)?.[1])
}

/** Mean microseconds per status lookup (sequential, so it is latency, not throughput). */
async function statusLatency(samples: number, population: number): Promise<number> {
  const started = process.hrtime.bigint()
  for (let i = 0; i < samples; i++) await store.statusOf(1 + Math.floor(Math.random() * population))
  return Number(process.hrtime.bigint() - started) / 1000 / samples
}

const small = Math.min(1000, users)
for (let userId = 1; userId <= small; userId++) await store.joinLine(userId)
const smallLatency = await statusLatency(2000, small)

const before = await usedMemory()
const started = Date.now()
for (let from = small + 1; from <= users; from += batch) {
  const to = Math.min(from + batch - 1, users)
  const joins: Array<Promise<unknown>> = []
  for (let userId = from; userId <= to; userId++) joins.push(store.joinLine(userId))
  await Promise.all(joins)
  if (to % 100_000 < batch) process.stdout.write(`loaded ${to} users\n`)
}
const loadSeconds = (Date.now() - started) / 1000
const after = await usedMemory()
const loaded = users - small

const waiting = await redis.zcard(keys.waiting)
const lineBytes = Number(await redis.memory('USAGE', keys.waiting, 'SAMPLES', '0'))
const seenBytes = Number(await redis.memory('USAGE', keys.lastSeen, 'SAMPLES', '0'))
const largeLatency = await statusLatency(2000, users)
const last = await store.statusOf(users)

process.stdout.write(
  `${JSON.stringify(
    {
      waiting,
      loadSeconds,
      joinsPerSecond: Math.round(loaded / loadSeconds),
      usedMemoryDeltaBytesPerUser: Math.round(((after - before) / loaded) * 10) / 10,
      keyBytesPerUser: Math.round(((lineBytes + seenBytes) / waiting) * 10) / 10,
      lineKeyMiB: Math.round(lineBytes / 1048576),
      lastSeenKeyMiB: Math.round(seenBytes / 1048576),
      statusLookupMicros: {
        [`${small} waiting`]: Math.round(smallLatency),
        [`${users} waiting`]: Math.round(largeLatency),
      },
      lastUser: last?.status === 'WAITING' ? { queueOrder: last.queueOrder } : last,
    },
    null,
    2,
  )}\n`,
)

if (!values.keep) await redis.unlink(...allKeys)
await redis.quit()
