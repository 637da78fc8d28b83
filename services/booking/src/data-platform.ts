import type { BookingDb } from '@stagepass/db'
import { consumeEvents, type EventBusOptions, type PaymentCompleted } from '@stagepass/events'
import { sql } from 'kysely'

/**
 * Records a completed payment as sent to the data platform, once: a redelivered event (same
 * event id) or a second event for the same payment leaves the first row as it is.
 */
export async function recordPaymentSent(db: BookingDb, payment: PaymentCompleted, eventId: string): Promise<void> {
  await db
    .insertInto('sent_analytics')
    .values({
      event_id: eventId,
      payment_id: payment.paymentId,
      reservation_id: payment.reservationId,
      user_id: payment.userId,
      amount: payment.amount,
      paid_at: new Date(payment.paidAt),
      recorded_at: new Date(),
    })
    .onDuplicateKeyUpdate({ id: sql<number>`id` })
    .execute()
}

/**
 * The `data-platform` consumer: a stand-in for an external analytics system, but a real consumer
 * (its own BullMQ queue, retries with backoff from the publisher's job options, idempotent writes).
 */
export function startDataPlatformConsumer(db: BookingDb, bus: EventBusOptions) {
  return consumeEvents(
    'data-platform',
    { 'payment.completed': (payment, { eventId }) => recordPaymentSent(db, payment, eventId) },
    bus,
  )
}
