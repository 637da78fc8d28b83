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
    // Connections are opened before the process listens; a MySQL that is down then is readiness's to
    // report, and the pool opens them when it is back.
    fastify.addHook('onReady', async () => {
      await warmPool(db, config.MYSQL_POOL_SIZE).catch((err) =>
        fastify.log.warn({ err }, 'could not open the MySQL pool at start; connections open on demand'),
      )
    })
    fastify.addHook('onClose', async () => db.destroy())
  },
  { name: 'stagepass-db', dependencies: ['stagepass-health'] },
)
