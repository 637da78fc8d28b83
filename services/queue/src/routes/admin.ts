import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { responses, ValidationError } from '@stagepass/kit'
import { AdminUnauthorizedError } from '../errors.js'
import { QueueStats, SettingsChange } from '../schemas.js'
import type { QueueStore } from '../store.js'

export interface AdminRoutesOptions {
  store: QueueStore
  adminKey: string
}

const digest = (value: string) => createHash('sha256').update(value).digest()

/** Epoch ms of an opening; the schema has checked the shape, this checks the date exists (no 31 June). */
function openingTime(opensAt: string | null): number | null {
  if (opensAt === null) return null
  const ms = Date.parse(opensAt)
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 19) !== opensAt.slice(0, 19)) {
    throw new ValidationError(`body/opensAt ${opensAt} is not a date`)
  }
  return ms
}

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

  const currentStats = async () => {
    const stats = await store.stats()
    return {
      ...stats,
      opensAt: stats.opensAt === null ? null : new Date(stats.opensAt).toISOString(),
      lastDraw: stats.lastDraw && { ...stats.lastDraw, opensAt: new Date(stats.lastDraw.opensAt).toISOString() },
      activeTtlSeconds: store.defaults.activeTtlSeconds,
      abandonAfterSeconds: store.defaults.abandonAfterSeconds,
    }
  }

  fastify.get('/admin/queue', { schema: { response: responses(QueueStats) } }, async () => ({
    data: await currentStats(),
  }))

  fastify.patch(
    '/admin/queue',
    { schema: { body: SettingsChange, response: responses(QueueStats) } },
    async (request) => {
      const { opensAt, ...rest } = request.body
      await store.changeSettings({ ...rest, ...(opensAt !== undefined && { opensAt: openingTime(opensAt) }) })
      request.log.info({ change: request.body }, 'queue settings changed')
      return { data: await currentStats() }
    },
  )
}
