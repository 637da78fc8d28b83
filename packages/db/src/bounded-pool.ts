import { DatabaseBusyError, gauge } from '@stagepass/kit'
import type { MysqlPool } from 'kysely'
import type { Pool } from 'mysql2'

/** What mysql2 answers, without a code, when `queueLimit` requests are waiting already. */
const QUEUE_LIMIT_REACHED = 'Queue limit reached.'

const waitingByPool = new Map<Pool, number>()
let peakWaiting = 0

gauge('db_pool_waiting', 'Requests waiting for a MySQL pool connection', [], function collect() {
  let total = 0
  for (const waiting of waitingByPool.values()) total += waiting
  this.set(total)
})
gauge(
  'db_pool_waiting_peak',
  'Most requests that waited at once for a connection of one MySQL pool since the process started (at most MYSQL_QUEUE_LIMIT)',
  [],
  function collect() {
    this.set(peakWaiting)
  },
)

/** Set by the pool's synchronous `enqueue` event while `getConnection` runs: this request has to wait. */
let enqueued = false

/**
 * The mysql2 pool as Kysely sees it, with its waiting line bounded in length (mysql2's own
 * `queueLimit`, refused as `queue_full`) and in time (a request that has no connection after
 * `queueTimeoutMs` is refused as `queue_timeout`; the connection it would have had goes straight
 * back to the pool). Both become 503 `DATABASE_BUSY` in the kit's error handler, so a flood gets
 * fast refusals instead of a line that grows with it.
 */
export function boundedPool(pool: Pool, { queueTimeoutMs }: { queueTimeoutMs: number }): MysqlPool {
  waitingByPool.set(pool, 0)
  pool.on('enqueue', () => {
    enqueued = true
  })
  const changeWaiting = (delta: number) => {
    const waiting = (waitingByPool.get(pool) ?? 0) + delta
    waitingByPool.set(pool, waiting)
    if (waiting > peakWaiting) peakWaiting = waiting
  }
  return {
    getConnection(callback) {
      let answered = false
      const timer = setTimeout(() => {
        answered = true
        callback(new DatabaseBusyError('queue_timeout'), undefined as never)
      }, queueTimeoutMs)
      // mysql2 refuses a full queue synchronously, before `waited` is known: it then stays false.
      let waited = false
      enqueued = false
      pool.getConnection((err, connection) => {
        if (waited) changeWaiting(-1)
        if (answered) {
          connection?.release()
          return
        }
        answered = true
        clearTimeout(timer)
        if (err?.message === QUEUE_LIMIT_REACHED)
          return callback(new DatabaseBusyError('queue_full'), undefined as never)
        callback(err, connection as never)
      })
      waited = enqueued
      if (waited) changeWaiting(1)
    },
    end(callback) {
      waitingByPool.delete(pool)
      pool.end(callback)
    },
  }
}
