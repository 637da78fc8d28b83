import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { responses } from '@stagepass/kit'
import { AdminUnauthorizedError } from '../errors.js'
import { QueueStats, SettingsChange } from '../schemas.js'
import type { QueueStore } from '../store.js'

export interface AdminRoutesOptions {
  store: QueueStore
  adminKey: string
}

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * Operators read the line and change admission at runtime. Served only on the queue's own port
 * (the gateway never routes `/admin`), and only with the admin key.
 */
export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (fastify, { store, adminKey }) => {
  const expected = digest(adminKey)
  fastify.addHook('onRequest', async (request) => {
    const given = request.headers['x-admin-key']
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) throw new AdminUnauthorizedError()
  })

  const currentStats = async () => ({
    ...(await store.stats()),
    activeTtlSeconds: store.defaults.activeTtlSeconds,
    abandonAfterSeconds: store.defaults.abandonAfterSeconds,
  })

  fastify.get('/admin/queue', { schema: { response: responses(QueueStats) } }, async () => ({
    data: await currentStats(),
  }))

  fastify.patch(
    '/admin/queue',
    { schema: { body: SettingsChange, response: responses(QueueStats) } },
    async (request) => {
      await store.changeSettings(request.body)
      request.log.info({ change: request.body }, 'admission settings changed')
      return { data: await currentStats() }
    },
  )
}
