import { seedDemoDataIfEmpty } from '@stagepass/db'
import type { BenchContext, BenchSuite } from '@stagepass/launcher'
import { sql } from 'kysely'
import { admitBenchUsers, BENCH_TOKEN_ENV, bearer, pick, range } from './tokens.js'

/** Admitted buyers with points; each journey ends in a payment, which ends that buyer's visit. */
let buyers: Array<{ userId: number; token: string }> = []
let nextBuyer = 600_001
const BUYERS_PER_RUN = 3000

async function admitFreshBuyers(ctx: BenchContext) {
  await sql`delete from payment`.execute(ctx.db)
  await sql`delete from reservation`.execute(ctx.db)
  const users = range(nextBuyer, BUYERS_PER_RUN)
  nextBuyer += BUYERS_PER_RUN
  const tokens = await admitBenchUsers(ctx, users)
  await sql`insert into point_wallet (user_id, balance) values ${sql.join(users.map((u) => sql`(${u}, 100000000)`))}`.execute(
    ctx.db,
  )
  buyers = users.map((userId, i) => ({ userId, token: tokens[i] as string }))
}

/**
 * The whole buyer journey, as one admitted user does it: list concerts, pick a concert's dates, list a
 * performance's seats, hold one of them, pay. A 409 is a seat another buyer took first.
 */
export const journeyBench: BenchSuite = {
  name: 'journey',
  env: BENCH_TOKEN_ENV,
  prepare: async (db) => {
    await seedDemoDataIfEmpty(db, () => {})
  },
  scenarios: () => [
    {
      name: 'journey: concerts → dates → seats → hold → pay',
      method: 'GET',
      targets: ['monolith', 'split'],
      expected: [404, 409],
      before: admitFreshBuyers,
      request: () => ({ path: '/concerts' }),
      steps: [
        {
          method: 'GET',
          request: (context) => {
            const buyer = buyers.pop() ?? pick(buyers.length ? buyers : [{ userId: 0, token: '' }])
            context.auth = bearer(buyer.token)
            return { path: '/concerts', headers: context.auth }
          },
        },
        {
          method: 'GET',
          request: (context) => ({
            path: `/concerts/${3 + Math.floor(Math.random() * 98)}/available-dates`,
            headers: context.auth,
          }),
          remember: (body, context) => {
            const dates = body.data.concerts as Array<{ concertOptionId: number; availableSeats: number }>
            const open = dates.filter((d) => d.availableSeats > 0)
            context.optionId = open.length ? pick(open).concertOptionId : 3
          },
        },
        {
          method: 'GET',
          request: (context) => ({ path: `/concerts/${context.optionId ?? 3}/available-seats`, headers: context.auth }),
          remember: (body, context) => {
            context.seatId = body.data.seats.length ? pick(body.data.seats as Array<{ seatId: number }>).seatId : 1
          },
        },
        {
          method: 'POST',
          request: (context) => ({
            path: '/concerts/reserve-seat',
            body: { seatId: context.seatId ?? 1 },
            headers: context.auth,
          }),
          remember: (body, context) => {
            context.reservationId = body.data.reservationId
          },
        },
        {
          method: 'POST',
          request: (context) => {
            const reservationId = context.reservationId ?? 1
            context.reservationId = undefined
            return { path: '/payment/pay', body: { reservationId }, headers: context.auth }
          },
        },
      ],
    },
  ],
}
