import { batchPerTurn, type RedisClient } from '@stagepass/kit'

/** Fields per HMGET: a batch larger than this goes as several commands. */
const MAX_FIELDS = 1000

/**
 * Reads fields of one hash, as HGET would, but every field asked for during one turn of the event
 * loop goes to Redis in one HMGET (`batchPerTurn`). When a sale opens, a thousand requests with
 * tokens the guard has not seen yet arrive together: one command and one socket write for all of
 * them instead of one each, which is what the first second's event loop was spending its time on.
 * A failed read fails every caller of its batch.
 */
export function batchedFieldReader(redis: RedisClient, key: string): (field: string) => Promise<string | null> {
  return batchPerTurn<string, string | null>((fields) => redis.hmget(key, ...fields), { maxItems: MAX_FIELDS })
}
