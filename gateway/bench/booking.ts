import { seedDemoDataIfEmpty } from '@stagepass/db'
import { QUEUE_USER_HEADER, SERVICE_ASSERTION_HEADER, signerFromEnv } from '@stagepass/kit'
import type { BenchContext, BenchSuite } from '@stagepass/launcher'
import { sql } from 'kysely'
import { admitBenchUsers, BENCH_TOKEN_ENV, bearer, pick, range } from './tokens.js'

/** Buyers with ACTIVE tokens and plenty of points; payers are fresh each run (paying ends a visit). */
const buyers: Array<{ userId: number; token: string }> = []
let contendedSeats: number[] = []
let allSeats: number[] = []
let payments: Array<{ token: string; reservationId: number }> = []
let nextPayer = 400_001

const CONTENDED_OPTION = 2
const PAYMENTS_PER_RUN = 4000

/**
 * Frees every seat between runs, so each run starts from the same state. A run ends with requests
 * still in flight (a stampede's slowest take seconds), and a hold they commit after the delete would
 * take its seat in the next run: deletes until a pause longer than the booking processes' memory of
 * taken seats (1 s) goes by with no new hold.
 */
async function releaseAllSeats(ctx: BenchContext) {
  for (;;) {
    await sql`delete from payment`.execute(ctx.db)
    await sql`delete from reservation`.execute(ctx.db)
    await new Promise((resolve) => setTimeout(resolve, 1200))
    const left = await ctx.db.selectFrom('reservation').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
    if (Number(left.n) === 0) return
  }
}

async function mintPendingReservations(ctx: BenchContext) {
  await releaseAllSeats(ctx)
  const users = range(nextPayer, PAYMENTS_PER_RUN)
  nextPayer += PAYMENTS_PER_RUN
  const tokens = await admitBenchUsers(ctx, users)
  const wallets = users.map((userId) => sql`(${userId}, 100000000)`)
  await sql`insert into point_wallet (user_id, balance) values ${sql.join(wallets)}`.execute(ctx.db)
  const direct = ctx.urls['direct:booking'] as string
  payments = []
  // Held through the booking service itself (as the user, the way the guard names them and the gateway signs).
  const signer = signerFromEnv('gateway')
  const queue = users.map((userId, i) => ({ userId, token: tokens[i] as string, seatId: allSeats[i] as number }))
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const identity = { [QUEUE_USER_HEADER]: String(next.userId) }
        const path = '/concerts/reserve-seat'
        const assertion = signer.sign({ audience: 'booking', method: 'POST', url: path, headers: identity })
        const res = await fetch(`${direct}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...identity, [SERVICE_ASSERTION_HEADER]: assertion },
          body: JSON.stringify({ seatId: next.seatId }),
        })
        const body = (await res.json()) as { data?: { reservationId: number } }
        if (body.data) payments.push({ token: next.token, reservationId: body.data.reservationId })
      }
    }),
  )
}

/** A hold on one of the 100 seats of the contended performance, by any admitted buyer. */
function contendedHold() {
  const buyer = pick(buyers)
  return { path: '/concerts/reserve-seat', body: { seatId: pick(contendedSeats) }, headers: bearer(buyer.token) }
}

/**
 * Holding a seat under contention (1,000 connections for the 100 seats of one performance),
 * without contention (random seats of every performance), and paying: split and monolith.
 */
export const bookingBench: BenchSuite = {
  name: 'booking',
  env: BENCH_TOKEN_ENV,
  prepare: async (db) => {
    await seedDemoDataIfEmpty(db, () => {})
  },
  setup: async (ctx) => {
    const users = range(300_001, 5000)
    const tokens = await admitBenchUsers(ctx, users)
    buyers.push(...users.map((userId, i) => ({ userId, token: tokens[i] as string })))
    const seats = await ctx.db.selectFrom('seat').select(['id', 'concert_option_id']).orderBy('id').execute()
    contendedSeats = seats.filter((s) => Number(s.concert_option_id) === CONTENDED_OPTION).map((s) => Number(s.id))
    allSeats = seats.filter((s) => Number(s.concert_option_id) > CONTENDED_OPTION).map((s) => Number(s.id))
  },
  scenarios: () => [
    {
      name: 'POST /concerts/reserve-seat (1,000 connections, 100 seats)',
      method: 'POST',
      targets: ['monolith', 'split'],
      connections: 1000,
      expected: [409],
      before: releaseAllSeats,
      request: contendedHold,
    },
    {
      // The same crowd on connections it already holds open, as users who waited in line do: Node 20
      // accepts one new connection per turn of its event loop, which the cold stampede above also measures.
      name: 'POST /concerts/reserve-seat (1,000 open connections, 100 seats)',
      method: 'POST',
      targets: ['monolith', 'split'],
      connections: 1000,
      openWith: '/health/live',
      expected: [409],
      before: releaseAllSeats,
      request: contendedHold,
    },
    {
      name: 'POST /concerts/reserve-seat (random seats, many performances)',
      method: 'POST',
      targets: ['monolith', 'split'],
      expected: [409],
      before: releaseAllSeats,
      request: () => {
        const buyer = pick(buyers)
        return { path: '/concerts/reserve-seat', body: { seatId: pick(allSeats) }, headers: bearer(buyer.token) }
      },
    },
    {
      name: 'POST /payment/pay',
      method: 'POST',
      targets: ['monolith', 'split'],
      before: mintPendingReservations,
      request: () => {
        const next = payments.pop() ?? { token: '', reservationId: 1 }
        return { path: '/payment/pay', body: { reservationId: next.reservationId }, headers: bearer(next.token) }
      },
    },
  ],
}
