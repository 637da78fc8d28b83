import type {} from '@stagepass/kit'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { MysqlConfig } from './config.js'
import { createDb, type Db, pingDb } from './mysql.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
  }
}

/**
 * Decorates the instance with the Kysely pool and adds MySQL to readiness. In the monolith it is
 * registered once at the root, and every context's plugin finds it already there.
 */
export const dbPlugin = fp<{ config: MysqlConfig }>(
  async (fastify: FastifyInstance, { config }) => {
    if (fastify.hasDecorator('db')) return
    const db = createDb(config)
    fastify.decorate('db', db)
    fastify.readiness.add('mysql', () => pingDb(db))
    fastify.addHook('onClose', async () => db.destroy())
  },
  { name: 'stagepass-db', dependencies: ['stagepass-health'] },
)
