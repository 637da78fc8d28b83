import { dbPlugin, type MysqlConfig } from '@stagepass/db'
import type { FastifyPluginAsync } from 'fastify'
import type { PointSettings } from './config.js'
import { createPointOperations } from './operations.js'
import { internalRoutes } from './routes/internal.js'
import { publicRoutes } from './routes/public.js'

export interface PointAppOptions {
  mysql: MysqlConfig
  settings: PointSettings
  /**
   * `/internal/points/*` for booking over HTTP (split mode). Off in the monolith, which hands booking
   * the same operations in-process (`createPointOperations`).
   */
  internalRoutes: boolean
}

/** The point context: prepaid balances and their history (`point_wallet`, `point_history`). */
export const pointApp: FastifyPluginAsync<PointAppOptions> = async (fastify, opts) => {
  await fastify.register(dbPlugin, { config: opts.mysql })
  await fastify.register(publicRoutes, { settings: opts.settings })
  if (opts.internalRoutes) {
    await fastify.register(internalRoutes, { operations: createPointOperations(fastify.db.point, fastify.log) })
  }
}
