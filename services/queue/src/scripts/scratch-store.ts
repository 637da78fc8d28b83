import { Redis } from 'ioredis'
import { createQueueStore } from '../store.js'

/**
 * A queue store under a prefix of a measurement's own, for scripts that load or time the queue on
 * a real Redis: refuses a prefix that is not one, or one whose keys already exist, so a deployment's
 * (or another run's) keys are never touched. The caller removes `allKeys` when done.
 */
export async function openScratchStore(redisUrl: string, prefix: string) {
  if (!/^[A-Za-z0-9:_-]{1,40}$/.test(prefix)) throw new Error('--prefix must be a key prefix like sp-load:')
  const redis = new Redis(redisUrl)
  const store = createQueueStore(redis, prefix, {
    admitPerSecond: 100,
    maxActive: 1000,
    activeTtlSeconds: 600,
    abandonAfterSeconds: 120,
    // Measurements load millions: the line's limit is not what they measure.
    lineCapacity: 100_000_000,
  })
  const allKeys = Object.values(store.keys)
  if (await redis.exists(...allKeys)) {
    await redis.quit()
    throw new Error(`keys under ${prefix}{queue} already exist; pick another --prefix`)
  }
  return { redis, store, allKeys }
}
