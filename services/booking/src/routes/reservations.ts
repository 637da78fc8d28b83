import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { UserMismatchError } from '@stagepass/kit'
import type { FastifyReply } from 'fastify'
import { actingUser } from '../acting-user.js'
import type { BookingContext } from '../context.js'
import { ReservationNotFoundError, SEAT_REFUSED, seatUnavailable } from '../errors.js'
import { findReservation, holdSeat } from '../holds.js'
import { holdRefusals, holdsMade } from '../metrics.js'
import { bookingPublicApi } from '../public-api.js'

/** The stampede's common answer: no query, no error object. */
function refuseSeat(reply: FastifyReply, seatId: number) {
  holdRefusals.add('SEAT_UNAVAILABLE')
  return reply.code(409).send(seatUnavailable(seatId))
}

export const reservationRoutes: FastifyPluginAsyncTypebox<{ booking: BookingContext }> = async (
  fastify,
  { booking },
) => {
  const { db, holdBatches, settings, hooks, expiry, takenSeats, clock } = booking

  fastify.route({
    ...bookingPublicApi.reserve,
    handler: async (request, reply) => {
      const userId = actingUser(request)
      const { seatId, userId: claimed } = request.body
      if (claimed !== undefined && claimed !== userId) throw new UserMismatchError(claimed)
      if (takenSeats.isTaken(seatId)) return refuseSeat(reply, seatId)
      let outcome: Awaited<ReturnType<typeof holdSeat>>
      try {
        outcome = await holdSeat(
          db,
          holdBatches,
          { userId, seatId },
          {
            holdTtlSeconds: settings.HOLD_TTL_SECONDS,
            maxHoldsPerUserPerOption: settings.MAX_HOLDS_PER_USER_PER_OPTION,
          },
          { taken: takenSeats, clock },
        )
      } catch (err) {
        const code = (err as { code?: string }).code
        if (code === 'SEAT_NOT_FOUND' || code === 'HOLD_LIMIT_REACHED') holdRefusals.add(code)
        throw err
      }
      if (outcome === SEAT_REFUSED) return refuseSeat(reply, seatId)
      const { hold, released } = outcome
      holdsMade.inc()
      for (const lapsed of released) hooks.holdReleased(lapsed, 'reserve')
      hooks.eventsCommitted()
      expiry.schedule(hold.reservationId, hold.expiresAt).catch((err) => {
        request.log.warn(
          { err, reservationId: hold.reservationId },
          'expiry job not scheduled; the sweep will expire it',
        )
      })
      const expireTime = hold.expiresAt.toISOString()
      request.log.info({ userId, seatId, reservationId: hold.reservationId }, 'seat held')
      return {
        data: {
          reservationId: hold.reservationId,
          seatId: hold.seatId,
          seatNo: hold.seatNo,
          concertOptionId: hold.concertOptionId,
          price: hold.price,
          status: 'PENDING' as const,
          reservationExpireTime: expireTime,
          message: `seat ${hold.seatNo} is held for you until ${expireTime}; pay before then`,
        },
      }
    },
  })

  fastify.route({
    ...bookingPublicApi.reservation,
    handler: async (request) => {
      const userId = actingUser(request)
      const { reservationId } = request.params
      const reservation = await findReservation(db, { reservationId, userId }, new Date(clock.now()))
      if (!reservation) throw new ReservationNotFoundError(reservationId)
      return { data: reservation }
    },
  })
}
