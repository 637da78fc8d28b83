import type { RedisClient } from '@stagepass/kit'

/** Fields per HMGET: a batch larger than this goes as several commands. */
const MAX_FIELDS = 1000

interface Waiter {
  resolve(value: string | null): void
  reject(err: unknown): void
}

/**
 * Reads fields of one hash, as HGET would, but every field asked for during one turn of the event
 * loop goes to Redis in one HMGET, sent once the turn's I/O callbacks have run (`setImmediate`).
 * When a sale opens, a thousand requests with tokens the guard has not seen yet arrive together:
 * one command and one socket write for all of them instead of one each, which is what the first
 * second's event loop was spending its time on. A failed read fails every caller of its batch.
 */
export function batchedFieldReader(redis: RedisClient, key: string): (field: string) => Promise<string | null> {
  let batch: Map<string, Waiter[]> | undefined

  function flush() {
    const waiting = batch as Map<string, Waiter[]>
    batch = undefined
    const fields = [...waiting.keys()]
    for (let start = 0; start < fields.length; start += MAX_FIELDS) {
      const slice = fields.slice(start, start + MAX_FIELDS)
      redis.hmget(key, ...slice).then(
        (values) => {
          for (const [i, field] of slice.entries())
            for (const w of waiting.get(field) ?? []) w.resolve(values[i] ?? null)
        },
        (err: unknown) => {
          for (const field of slice) for (const w of waiting.get(field) ?? []) w.reject(err)
        },
      )
    }
  }

  return (field) =>
    new Promise((resolve, reject) => {
      if (!batch) {
        batch = new Map()
        setImmediate(flush)
      }
      const waiters = batch.get(field)
      if (waiters) waiters.push({ resolve, reject })
      else batch.set(field, [{ resolve, reject }])
    })
}
