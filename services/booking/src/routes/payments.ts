import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { actingUser } from '../acting-user.js'
import type { BookingContext } from '../context.js'
import { paymentAmount, paymentFailures, paymentsCompleted } from '../metrics.js'
import { payReservation } from '../payments.js'
import { bookingPublicApi } from '../public-api.js'

export const paymentRoutes: FastifyPluginAsyncTypebox<{ booking: BookingContext }> = async (fastify, { booking }) => {
  fastify.route({
    ...bookingPublicApi.pay,
    handler: async (request) => {
      const userId = actingUser(request)
      const { reservationId } = request.body
      const idempotencyKey = request.headers['idempotency-key']
      try {
        const { receipt, replayed } = await payReservation(
          {
            db: booking.db,
            points: booking.points,
            batches: booking.paymentBatches,
            hooks: booking.hooks,
            log: request.log,
            failAfterPointUse: booking.failAfterPointUse,
            clock: booking.clock,
          },
          { userId, reservationId, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) },
        )
        if (!replayed) {
          paymentsCompleted.inc()
          paymentAmount.inc(receipt.price)
        }
        return { data: receipt }
      } catch (err) {
        const { code, statusCode } = err as { code?: string; statusCode?: number }
        paymentFailures.inc({ code: statusCode !== undefined && code ? code : 'INTERNAL_ERROR' })
        throw err
      }
    },
  })
}
