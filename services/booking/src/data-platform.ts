import type { BookingDb } from '@stagepass/db'
import { consumeEvents, type EventBusOptions, type PaymentCompleted } from '@stagepass/events'
import { batchPerTurn } from '@stagepass/kit'
import { sql } from 'kysely'

/** A completed payment delivered to the data platform, with the event that told it. */
interface SentPayment {
  payment: PaymentCompleted
  eventId: string
}

/**
 * Records completed payments as sent to the data platform, once each, in one statement: a
 * redelivered event (same event id) or a second event for the same payment leaves the first row
 * as it is.
 */
export async function recordPaymentsSent(db: BookingDb, sent: readonly SentPayment[]): Promise<void> {
  const recordedAt = new Date()
  await db
    .insertInto('sent_analytics')
    .values(
      sent.map(({ payment, eventId }) => ({
        event_id: eventId,
        payment_id: payment.paymentId,
        reservation_id: payment.reservationId,
        user_id: payment.userId,
        amount: payment.amount,
        paid_at: new Date(payment.paidAt),
        recorded_at: recordedAt,
      })),
    )
    .onDuplicateKeyUpdate({ id: sql<number>`id` })
    .execute()
}

/**
 * The `data-platform` consumer: a stand-in for an external analytics system, but a real consumer
 * (its own BullMQ queue, retries with backoff from the publisher's job options, idempotent writes).
 */
export function startDataPlatformConsumer(db: BookingDb, bus: EventBusOptions) {
  // The deliveries its worker runs in one turn of the event loop are recorded together.
  const record = batchPerTurn<SentPayment, void>(async (sent) => {
    await recordPaymentsSent(db, sent)
    return sent.map(() => undefined)
  })
  return consumeEvents(
    'data-platform',
    { 'payment.completed': (payment, { eventId }) => record({ payment, eventId }) },
    bus,
  )
}
