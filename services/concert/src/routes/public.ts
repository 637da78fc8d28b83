import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { responses } from '@stagepass/kit'
import type { FastifyReply } from 'fastify'
import type { AvailabilityCache } from '../availability-cache.js'
import { listAvailableSeats, listConcertDates, listConcerts } from '../catalog.js'
import { AvailableSeats, ConcertDates, ConcertList, ConcertOptionParams, ConcertParams, NoQuery } from '../schemas.js'

/** Sends a body the route's own response schema already serialized (see `reply.serialize`). */
function sendSerialized(reply: FastifyReply, body: string) {
  return reply.type('application/json; charset=utf-8').send(body)
}

/**
 * The catalog and seat availability. Availability views are serialized once, by the route's
 * response schema, and cached as bytes: a cache hit is one Redis read and no serialization.
 */
export const publicRoutes: FastifyPluginAsyncTypebox<{ cache: AvailabilityCache }> = async (fastify, { cache }) => {
  fastify.get('/concerts', { schema: { querystring: NoQuery, response: responses(ConcertList) } }, async () => ({
    data: { concerts: await listConcerts(fastify.db) },
  }))

  fastify.get(
    '/concerts/:concertId/available-dates',
    { schema: { params: ConcertParams, querystring: NoQuery, response: responses(ConcertDates) } },
    async (request, reply) => {
      const { concertId } = request.params
      const body = await cache.read('dates', concertId, async () => {
        const view = await listConcertDates(fastify.db, concertId, new Date())
        return { body: reply.serialize({ data: view.data }) as string, nextLapseAt: view.nextLapseAt }
      })
      return sendSerialized(reply, body)
    },
  )

  fastify.get(
    '/concerts/:concertOptionId/available-seats',
    { schema: { params: ConcertOptionParams, querystring: NoQuery, response: responses(AvailableSeats) } },
    async (request, reply) => {
      const { concertOptionId } = request.params
      const body = await cache.read('seats', concertOptionId, async () => {
        const view = await listAvailableSeats(fastify.db, concertOptionId, new Date())
        return { body: reply.serialize({ data: view.data }) as string, nextLapseAt: view.nextLapseAt }
      })
      return sendSerialized(reply, body)
    },
  )
}
