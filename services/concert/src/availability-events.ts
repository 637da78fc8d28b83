import type { ConcertDb } from '@stagepass/db'
import { type BullmqRedis, consumeEvents, type EventName } from '@stagepass/events'
import type { WarningLog } from '@stagepass/kit'
import type { AvailabilityCache } from './availability-cache.js'
import { findConcertIdOfOption } from './catalog.js'
import { availabilityInvalidations } from './metrics.js'

export interface AvailabilityEventsOptions extends BullmqRedis {
  db: ConcertDb
  cache: AvailabilityCache
  log: WarningLog
}

/** The running consumer; closing it lets the handler in progress finish. */
export interface AvailabilityEventsConsumer {
  close(): Promise<void>
}

const MAX_REMEMBERED_OPTIONS = 100_000

/**
 * Consumes booking's events (`reservation.held`, `reservation.released`, `payment.completed`) and
 * drops the cached views they change: the performance's seat list and seat map, and its concert's dates.
 * Dropping is idempotent, so redelivered events are harmless.
 */
export function consumeAvailabilityEvents({
  db,
  cache,
  ...bus
}: AvailabilityEventsOptions): AvailabilityEventsConsumer {
  // A performance never moves to another concert, so the lookup is remembered.
  const concertOf = new Map<number, number>()

  async function concertIdOf(concertOptionId: number): Promise<number | undefined> {
    const known = concertOf.get(concertOptionId)
    if (known !== undefined) return known
    const concertId = await findConcertIdOfOption(db, concertOptionId)
    if (concertId !== undefined) {
      if (concertOf.size >= MAX_REMEMBERED_OPTIONS) concertOf.clear()
      concertOf.set(concertOptionId, concertId)
    }
    return concertId
  }

  async function seatsChanged(event: EventName, concertOptionId: number): Promise<void> {
    // The seat list first: it needs no lookup, so it is dropped even if MySQL is unreachable
    // (the job then fails and is retried for the dates).
    await cache.invalidate([
      { view: 'seats', id: concertOptionId },
      { view: 'seatmap', id: concertOptionId },
    ])
    const concertId = await concertIdOf(concertOptionId)
    if (concertId !== undefined) await cache.invalidate([{ view: 'dates', id: concertId }])
    availabilityInvalidations.inc({ event })
  }

  return consumeEvents(
    'concert',
    {
      'reservation.held': (payload) => seatsChanged('reservation.held', payload.concertOptionId),
      'reservation.released': (payload) => seatsChanged('reservation.released', payload.concertOptionId),
      'payment.completed': (payload) => seatsChanged('payment.completed', payload.concertOptionId),
    },
    bus,
  )
}
