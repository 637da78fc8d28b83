import { dbPlugin } from '@stagepass/db'
import { pointApp } from '@stagepass/point'
import type { FastifyInstance } from 'fastify'
import type { GatewayConfig } from './config.js'

/**
 * Monolith mode: every context's plugin in this process under the same routes, sharing one MySQL
 * pool. Internal routes are not registered: contexts call each other in-process.
 */
export async function registerMonolithMode(fastify: FastifyInstance, config: GatewayConfig) {
  await fastify.register(dbPlugin, { config })
  await fastify.register(pointApp, { mysql: config, internalRoutes: false })
}
