import type {} from '@stagepass/kit'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { MysqlConfig } from './config.js'
import { type ContextDbs, contextDbs } from './context-db.js'
import { createDb, pingDb, warmPool } from './mysql.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The Kysely pool as each context's handle (`fastify.db.booking`): a context writes only its tables. */
    db: ContextDbs
  }
}

/**
 * Decorates the instance with the Kysely pool, one handle per context, and adds MySQL to readiness.
 * In the monolith it is registered once at the root, and every context's plugin finds it already there.
 */
export const dbPlugin = fp<{ config: MysqlConfig }>(
  async (fastify: FastifyInstance, { config }) => {
    if (fastify.hasDecorator('db')) return
    const db = createDb(config)
    fastify.decorate('db', contextDbs(db))
    fastify.readiness.add('mysql', () => pingDb(db))
    // Connections are opened before the process listens. Those that could not be (a MySQL that is
    // down, or a handshake that outlasted MYSQL_CONNECT_TIMEOUT_MS on a machine busy starting) are
    // tried again every second until the pool is full, so the first burst does not open them itself;
    // meanwhile a MySQL that is down is readiness's to report.
    let closed = false
    let again: NodeJS.Timeout | undefined
    const warm = async (): Promise<void> => {
      try {
        await warmPool(db, config.MYSQL_POOL_SIZE)
      } catch (err) {
        if (closed) return
        if (again === undefined) fastify.log.warn({ err }, 'could not open the whole MySQL pool; trying every second')
        again = setTimeout(warm, 1000).unref()
      }
    }
    fastify.addHook('onReady', warm)
    fastify.addHook('onClose', async () => {
      closed = true
      clearTimeout(again)
      await db.destroy()
    })
  },
  { name: 'stagepass-db', dependencies: ['stagepass-health'] },
)
