import type { Db, MysqlConfig } from '@stagepass/db'
import { EventPublisher } from '@stagepass/events'
import { createServer } from '@stagepass/kit'
import { serveOnFreePort } from '@stagepass/testkit'
import type { Test } from 'tap'
import { concertApp } from '../src/app.js'

export interface ConcertServiceOptions {
  mysql: MysqlConfig
  redis: { url: string; prefix: string }
  seatCache?: { enabled: boolean; ttlMs: number }
  consumeEvents?: boolean
}

/** The fields of a concert in `GET /concerts`, sorted: the contract's, and no others. */
export const CONCERT_FIELDS = [
  'concertName',
  'endDate',
  'id',
  'reserveEndDate',
  'reserveStartDate',
  'singer',
  'startDate',
]

/** The concert service in this process, on a real port, as its server runs it. */
export async function startConcertService(
  t: Test,
  { mysql, redis, seatCache = { enabled: true, ttlMs: 1000 }, consumeEvents = true }: ConcertServiceOptions,
) {
  const app = createServer({ service: 'concert', config: { LOG_LEVEL: 'error', LOG_PRETTY: 'false' } })
  await app.register(concertApp, {
    mysql,
    redis: { redisUrl: redis.url, redisPrefix: redis.prefix },
    seatCache,
    consumeEvents,
  })
  return serveOnFreePort(t, app)
}

/** Publishes booking's events the way its outbox relay does. */
export function startPublisher(t: Test, redis: { url: string; prefix: string }) {
  const publisher = new EventPublisher({ redisUrl: redis.url, redisPrefix: redis.prefix })
  t.teardown(() => publisher.close())
  return publisher
}

let nextUserId = 500_000

interface SeatRow {
  id: number
  concert_option_id: number
  price: number
}

async function seatRow(db: Db, seatId: number): Promise<SeatRow> {
  const seat = await db
    .selectFrom('seat')
    .select(['id', 'concert_option_id', 'price'])
    .where('id', '=', seatId)
    .executeTakeFirstOrThrow()
  return { id: Number(seat.id), concert_option_id: Number(seat.concert_option_id), price: Number(seat.price) }
}

/** Writes a reservation row as booking's reserve path does; returns its id. */
export async function reserveSeatRow(
  db: Db,
  seatId: number,
  { status = 'PENDING', expiresInMs = 300_000 }: { status?: 'PENDING' | 'PAID'; expiresInMs?: number } = {},
): Promise<number> {
  const seat = await seatRow(db, seatId)
  const result = await db
    .insertInto('reservation')
    .values({
      user_id: nextUserId++,
      seat_id: seat.id,
      concert_option_id: seat.concert_option_id,
      price: seat.price,
      status,
      hold_slot: 1,
      expires_at: new Date(Date.now() + expiresInMs),
      paid_at: status === 'PAID' ? new Date() : null,
    })
    .executeTakeFirstOrThrow()
  return Number(result.insertId)
}

export async function setReservationStatus(
  db: Db,
  reservationId: number,
  status: 'PAID' | 'EXPIRED' | 'CANCELLED',
): Promise<void> {
  await db
    .updateTable('reservation')
    .set({ status, paid_at: status === 'PAID' ? new Date() : null })
    .where('id', '=', reservationId)
    .execute()
}
