import type { Db } from '@stagepass/db'
import { type BullmqRedis, bullPrefix, CONSUMERS, queueName } from '@stagepass/events'
import type { Redis } from 'ioredis'
import { sql } from 'kysely'
import { FAULT_SETTINGS } from './system.js'

/** Slack on top of each background interval: a busy machine runs a timer late. */
const SLACK_MS = 5000

/**
 * The books after a fault, read from MySQL and BullMQ's Redis directly: returns what is broken (empty
 * when all holds). `settledBefore`: payments made before it must have had their events consumed, or
 * (`stillActiveAllowed`, right after a fault) be held by a consumer that is running them or died.
 */
export async function brokenInvariants(
  db: Db,
  redis: Redis,
  bus: BullmqRedis,
  settledBefore: Date,
  { stillActiveAllowed = false }: { stillActiveAllowed?: boolean } = {},
): Promise<string[]> {
  const broken: string[] = []
  const now = Date.now()

  // No seat sold twice; every PAID reservation has one COMPLETED payment and the other way round.
  const twice = await db
    .selectFrom('reservation')
    .select(['seat_id', sql<number>`count(*)`.as('n')])
    .where('status', '=', 'PAID')
    .groupBy('seat_id')
    .having(sql`count(*)`, '>', 1)
    .execute()
  for (const { seat_id, n } of twice) broken.push(`seat ${seat_id} was sold ${n} times`)
  const mismatched = await sql<{ id: number; status: string; payments: number }>`
    select r.id, r.status, count(p.id) as payments from reservation r
    left join payment p on p.reservation_id = r.id and p.status = 'COMPLETED'
    group by r.id, r.status
    having (r.status = 'PAID') <> (count(p.id) = 1) or count(p.id) > 1`.execute(db)
  for (const r of mismatched.rows)
    broken.push(`reservation ${r.id} is ${r.status} with ${r.payments} completed payments`)

  // Points are conserved: every balance is the sum of its history, and what a reservation's payment
  // took (uses less refunds) is its price when it is PAID and nothing otherwise, once settled.
  const unbalanced = await sql<{ user_id: number; balance: number; history: number }>`
    select w.user_id, w.balance, coalesce(sum(case h.type when 'USE' then -h.amount else h.amount end), 0) as history
    from point_wallet w left join point_history h on h.user_id = w.user_id
    group by w.user_id, w.balance having w.balance <> history`.execute(db)
  for (const u of unbalanced.rows)
    broken.push(`user ${u.user_id} has ${u.balance} points but a history of ${u.history}`)
  const settledPayments = new Date(now - FAULT_SETTINGS.PAYMENT_RECONCILE_AFTER_SECONDS * 1000 - SLACK_MS)
  // Matched in the process: a join on the history's reference cannot use an index.
  const settled = await db
    .selectFrom('reservation')
    .select(['id', 'status', 'price'])
    .where('created_at', '<', settledPayments)
    .execute()
  const moves = await db
    .selectFrom('point_history')
    .select(['type', 'amount', 'reference'])
    .where('reference', 'like', 'reservation:%')
    .execute()
  const taken = new Map<string, number>()
  for (const m of moves) {
    const signed = m.type === 'USE' ? m.amount : m.type === 'REFUND' ? -m.amount : 0
    taken.set(String(m.reference), (taken.get(String(m.reference)) ?? 0) + signed)
  }
  for (const r of settled) {
    const took = taken.get(`reservation:${r.id}`) ?? 0
    if (took !== (r.status === 'PAID' ? r.price : 0))
      broken.push(`reservation ${r.id} (${r.status}, ${r.price}) took ${took} points`)
  }

  // No payment left unfinished past the reconciler's window.
  const unfinished = await db
    .selectFrom('payment')
    .select(['id', 'status'])
    .where('status', 'in', ['PENDING', 'REFUNDING'])
    .where(
      'created_at',
      '<',
      new Date(
        now -
          FAULT_SETTINGS.PAYMENT_RECONCILE_AFTER_SECONDS * 1000 -
          FAULT_SETTINGS.PAYMENT_RECONCILE_INTERVAL_MS -
          SLACK_MS,
      ),
    )
    .execute()
  for (const p of unfinished) broken.push(`payment ${p.id} is still ${p.status} past the reconciler's window`)

  // No hold alive past its expiry and a sweep.
  const lapsed = await db
    .selectFrom('reservation')
    .select('id')
    .where('status', '=', 'PENDING')
    .where('expires_at', '<', new Date(now - FAULT_SETTINGS.HOLD_SWEEP_INTERVAL_MS - SLACK_MS))
    .execute()
  for (const r of lapsed) broken.push(`hold ${r.id} is alive past its expiry and a sweep`)

  // Every payment settled before `settledBefore` has one payment.completed, sent, and consumed once by each consumer.
  // Two reads matched here: a join on the payload's reservation id would read the outbox once per reservation.
  const paid = await db
    .selectFrom('reservation')
    .select('id')
    .where('status', '=', 'PAID')
    .where('paid_at', '<', settledBefore)
    .execute()
  const outbox = await sql<{ id: number; reservation_id: number; state: string }>`
    select id, json_unquote(json_extract(payload, '$.reservationId')) as reservation_id, state
    from outbox where event = 'payment.completed'`.execute(db)
  const eventsOf = new Map<number, Array<{ id: number; state: string }>>()
  for (const e of outbox.rows) {
    const known = eventsOf.get(Number(e.reservation_id)) ?? []
    known.push({ id: e.id, state: e.state })
    eventsOf.set(Number(e.reservation_id), known)
  }
  const eventIds: string[] = []
  for (const { id } of paid) {
    const events = eventsOf.get(id) ?? []
    const sent = events.filter((e) => e.state === 'SENT')
    if (events.length !== 1 || sent.length !== 1) {
      broken.push(`reservation ${id} has ${events.length} payment.completed events, ${sent.length} sent`)
    } else eventIds.push(String(sent[0]?.id))
  }
  const prefix = bullPrefix(bus)
  for (const consumer of CONSUMERS) {
    const key = `${prefix}:${queueName(consumer)}`
    const failed = await redis.zcard(`${key}:failed`)
    if (failed > 0) broken.push(`${consumer}: ${failed} jobs failed for good`)
    const states = await Promise.all(eventIds.map((id) => redis.zscore(`${key}:completed`, `event-${id}`)))
    let missing = eventIds.filter((_, i) => states[i] === null)
    // The bus keeps the last 10,000 completed jobs of a queue: an older one has left the completed set
    // and its job is gone with it. A job that still exists is not done; one that does not was done and
    // removed (the outbox says it was sent, and its job id is the event's, so it was added once).
    const exists = await Promise.all(missing.map((id) => redis.exists(`${key}:event-${id}`)))
    missing = missing.filter((_, i) => exists[i] === 1)
    if (stillActiveAllowed && missing.length > 0) {
      // A job a killed worker was running stays active until BullMQ finds it stalled (its lock lapses,
      // 30 s, and the next stall check runs, up to 30 s more) and runs it again: late, not lost.
      const active = new Set(await redis.lrange(`${key}:active`, 0, -1))
      missing = missing.filter((id) => !active.has(`event-${id}`))
    }
    if (missing.length > 0) {
      broken.push(`${consumer} has not consumed ${missing.length} payment.completed events (e.g. ${missing[0]})`)
    }
  }
  // The data platform recorded each payment once, however often it was delivered.
  const recorded = await sql<{ reservation_id: number; n: number }>`
    select reservation_id, count(*) as n from sent_analytics group by reservation_id having count(*) > 1`.execute(db)
  for (const r of recorded.rows) broken.push(`the data platform recorded reservation ${r.reservation_id} ${r.n} times`)
  return broken
}
