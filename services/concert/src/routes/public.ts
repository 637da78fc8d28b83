import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ConcertDb } from '@stagepass/db'
import type { FastifyReply } from 'fastify'
import type { AvailabilityCache } from '../availability-cache.js'
import { type AvailabilityView, listAvailableSeats, listConcertDates, listConcerts, listSeatMap } from '../catalog.js'
import { concertPublicApi } from '../public-api.js'

/** Sends a body the route's own response schema already serialized (see `reply.serialize`), or its cached bytes. */
function sendSerialized(reply: FastifyReply, body: Buffer | string) {
  return reply.type('application/json; charset=utf-8').send(body)
}

/**
 * The catalog and seat availability. Availability views are serialized once, by the route's
 * response schema, and cached as bytes: a cache hit is one Redis read and no serialization.
 */
export const publicRoutes: FastifyPluginAsyncTypebox<{ cache: AvailabilityCache }> = async (fastify, { cache }) => {
  // Pages of the catalog are cached like availability (same switch, same TTL; no event changes them).
  fastify.route({
    ...concertPublicApi.concerts,
    handler: async (request, reply) => {
      const after = Number(request.query.cursor ?? 0)
      const { limit } = request.query
      const body = await cache.read('concerts', `${after}:${limit}`, async () => {
        const page = await listConcerts(fastify.db.concert, { after, limit })
        return { body: reply.serialize({ data: page }) as string, nextLapseAt: undefined }
      })
      return sendSerialized(reply, body)
    },
  })

  fastify.route({
    ...concertPublicApi.dates,
    handler: async (request, reply) => {
      const { concertId } = request.params
      const body = await cache.read('dates', concertId, async () => {
        const view = await listConcertDates(fastify.db.concert, concertId, new Date())
        return { body: reply.serialize({ data: view.data }) as string, nextLapseAt: view.nextLapseAt }
      })
      return sendSerialized(reply, body)
    },
  })

  /** A seat view of a performance (its free seats, or its seat map) through the cache. */
  async function sendSeatView(
    reply: FastifyReply,
    view: 'seats' | 'seatmap',
    concertOptionId: number,
    list: (db: ConcertDb, concertOptionId: number, now: Date) => Promise<AvailabilityView<unknown>>,
  ) {
    const body = await cache.read(view, concertOptionId, async () => {
      const listed = await list(fastify.db.concert, concertOptionId, new Date())
      return { body: reply.serialize({ data: listed.data }) as string, nextLapseAt: listed.nextLapseAt }
    })
    return sendSerialized(reply, body)
  }

  fastify.route({
    ...concertPublicApi.seats,
    handler: (request, reply) => sendSeatView(reply, 'seats', request.params.concertOptionId, listAvailableSeats),
  })

  fastify.route({
    ...concertPublicApi.seatMap,
    handler: (request, reply) => sendSeatView(reply, 'seatmap', request.params.concertOptionId, listSeatMap),
  })
}
