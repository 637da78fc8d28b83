import { consumeEvents, type EventBusOptions } from '@stagepass/events'
import type { FastifyBaseLogger } from 'fastify'
import { revocations } from './metrics.js'
import type { QueueStore } from './store.js'

/**
 * How far the paying service's clock may run behind Redis's: a token admitted up to this long
 * after `paidAt` is still the one that paid. A token admitted later belongs to a new visit, which a
 * redelivered event must leave alone.
 */
const CLOCK_SLACK_MS = 30_000

/**
 * After a payment the user leaves the "store": `payment.completed` expires their ACTIVE token —
 * unless they still hold other seats, which the token must be able to pay for; the payment of the
 * last one revokes it (a hold left to lapse leaves the token to its own expiry).
 */
export function revokeTokensOnPayment(
  store: QueueStore,
  bus: EventBusOptions,
  log: FastifyBaseLogger,
): { close(): Promise<void> } {
  return consumeEvents(
    'queue',
    {
      'payment.completed': async (payment, meta) => {
        if ((payment.liveHolds ?? 0) > 0) return
        const paidAt = Date.parse(payment.paidAt)
        const admittedBy = (Number.isFinite(paidAt) ? paidAt : Date.now()) + CLOCK_SLACK_MS
        if (await store.revokeToken(payment.userId, admittedBy)) {
          revocations.inc()
          log.info(
            { userId: payment.userId, paymentId: payment.paymentId, eventId: meta.eventId },
            'queue token revoked',
          )
        }
      },
    },
    { ...bus, log },
  )
}
