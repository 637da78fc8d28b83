import { createSideServer, listenAside } from '@stagepass/kit'
import type { FastifyPluginAsync } from 'fastify'
import { adminRoutes } from './routes/admin.js'
import { operatorPage } from './routes/operator-page.js'
import type { QueueStore } from './store.js'

export interface AdminListenerOptions {
  store: QueueStore
  adminKey: string
  host: string
  port: number
}

/**
 * In a process whose port is public (the monolith), the admin routes get a port of their own, the
 * one the queue service would have in split mode, so operators find them at the same address.
 */
export const adminListener: FastifyPluginAsync<AdminListenerOptions> = async (fastify, opts) => {
  const admin = createSideServer({
    service: 'queue-admin',
    config: { LOG_LEVEL: fastify.log.level as 'info', LOG_PRETTY: 'auto' },
  })
  await admin.register(adminRoutes, { store: opts.store, adminKey: opts.adminKey })
  await admin.register(operatorPage)
  fastify.addHook('onReady', async () => {
    await listenAside(admin, { host: opts.host, port: opts.port })
  })
  fastify.addHook('onClose', async () => {
    await admin.close()
  })
}
