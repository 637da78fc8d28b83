import type { Mode } from '@stagepass/launcher'
import {
  addPerformance,
  admittedToken,
  apiClient,
  concurrently,
  lockWallet,
  metricValue,
  startSystem,
  tally,
} from '@stagepass/testkit'
import t, { type Test } from 'tap'

/**
 * One contract between booking and point in both modes: the same payments through the gateway, as
 * `npm start` and `npm run start:monolith` run the system, get the same answer for success and for
 * every point refusal, and point's metrics count them the same way on the operations port where
 * point's metrics are (point's process in split, the monolith's own).
 */
const PRICE = 50_000
const MOST_A_USE_MAY_TAKE = 10_000_000

interface Outcome {
  status: number
  code: string | undefined
  /** What the payer's balance lost. */
  taken: number
}

const SERIES = [
  'points_operations_total{type="USE"}',
  'points_amount_total{type="USE"}',
  'points_refusals_total{code="INSUFFICIENT_POINTS"}',
  'points_refusals_total{code="REFERENCE_VOIDED"}',
  'points_refusals_total{code="REFERENCE_CONFLICT"}',
]

async function paymentsIn(t: Test, mode: Mode) {
  const system = await startSystem(t, {
    mode,
    env: {
      QUEUE_ADMIT_PER_SECOND: '100000',
      QUEUE_MAX_ACTIVE: '100000',
      QUEUE_TICK_MS: '50',
      // The busy wallet's use answers 503 DATABASE_BUSY once its statement times out (5 s): booking and
      // the gateway wait longer than that for it, however busy the machine, so they hear point's answer.
      POINT_TIMEOUT_MS: '30000',
      PROXY_TIMEOUT_MS: '60000',
    },
  })
  const { db } = system
  const api = apiClient(system.baseUrl)
  t.teardown(() => api.close())
  const pointOps = system.opsUrlOf('point')
  const metrics = async () => {
    const values: Record<string, number> = {}
    for (const series of SERIES) values[series] = await metricValue(pointOps, series)
    return values
  }
  const balance = async (userId: number): Promise<number> =>
    (await api.get(`/points/current/${userId}`)).body.data.currentPoints

  let nextUser = 9001
  /** A user with `points` who holds a seat; `before` prepares the payment's reference, as a fault would have. */
  async function pay(
    points: number,
    before: (reservationId: number, userId: number) => Promise<unknown> = noop,
    { attempts = 1 } = {},
  ) {
    const userId = nextUser++
    for (let left = points; left > 0; left -= MOST_A_USE_MAY_TAKE) {
      const charged = await api.put('/points/charge', { userId, amount: Math.min(left, MOST_A_USE_MAY_TAKE) })
      if (charged.status !== 200) throw new Error(`charge failed: ${JSON.stringify(charged.body)}`)
    }
    const token = await admittedToken(api, userId)
    const { seatIds } = await addPerformance(db, { seats: 2, price: PRICE })
    const [hold, other] = [
      await api.post('/concerts/reserve-seat', { seatId: seatIds[0] }, { token }),
      // A second hold keeps the token ACTIVE after the payment, so late racing attempts reach booking.
      await api.post('/concerts/reserve-seat', { seatId: seatIds[1] }, { token }),
    ]
    if (hold.status !== 200 || other.status !== 200) throw new Error(`hold failed: ${JSON.stringify(hold.body)}`)
    const { reservationId } = hold.body.data
    const undo = await before(reservationId, userId)
    const key = `pay-${userId}`
    const answers = await concurrently(attempts, () =>
      api.post('/payment/pay', { reservationId }, { token, headers: { 'idempotency-key': key } }),
    )
    if (typeof undo === 'function') await undo()
    const res = answers[0] as (typeof answers)[number]
    t.same(tally(answers.map((a) => a.status)), { [res.status]: attempts }, `${mode}: every attempt answered alike`)
    const outcome: Outcome = { status: res.status, code: res.body.code, taken: points - (await balance(userId)) }
    if (res.status === 503) t.equal(res.headers['retry-after'], '1', `${mode}: told when to retry`)
    return outcome
  }

  const before = await metrics()
  const outcomes = {
    paid: await pay(80_000),
    // One payment, 100 attempts with its key at once: the points are taken, and counted, once.
    raced: await pay(80_000, noop, { attempts: 100 }),
    insufficient: await pay(PRICE - 1),
    // A refund came first (a payment given up): point voided the reference.
    voided: await pay(80_000, (id) =>
      db
        .insertInto('point_void')
        .values({ reference: `reservation:${id}` })
        .execute(),
    ),
    // The reference was used by someone else for another amount.
    conflict: await pay(80_000, (id) =>
      db
        .insertInto('point_history')
        .values({ user_id: 1, type: 'USE', amount: 1, balance_after: 0, reference: `reservation:${id}` })
        .execute(),
    ),
    // More than point's schema lets one use take: booking's defect, never the payer's.
    invalid: await pay(2 * MOST_A_USE_MAY_TAKE, (id) =>
      db
        .updateTable('reservation')
        .set({ price: MOST_A_USE_MAY_TAKE + 1 })
        .where('id', '=', id)
        .execute(),
    ),
    // Someone holds the wallet's row lock for longer than a statement may wait (MYSQL_STATEMENT_TIMEOUT_MS).
    busy: await pay(80_000, (_id, userId) => lockWallet(db, userId)),
  }
  const after = await metrics()
  const counted = Object.fromEntries(SERIES.map((s) => [s, (after[s] ?? 0) - (before[s] ?? 0)]))
  return { outcomes, counted }
}

const noop = async () => undefined

const expected = {
  paid: { status: 200, code: undefined, taken: PRICE },
  raced: { status: 200, code: undefined, taken: PRICE },
  insufficient: { status: 409, code: 'INSUFFICIENT_POINTS', taken: 0 },
  voided: { status: 409, code: 'REFERENCE_VOIDED', taken: 0 },
  conflict: { status: 409, code: 'REFERENCE_CONFLICT', taken: 0 },
  invalid: { status: 500, code: 'INTERNAL_ERROR', taken: 0 },
  busy: { status: 503, code: 'DATABASE_BUSY', taken: 0 },
}

const results: Partial<Record<Mode, Awaited<ReturnType<typeof paymentsIn>>>> = {}
for (const mode of ['split', 'monolith'] as const) {
  await t.test(`${mode}: every point refusal answers the payer as the contract says, nothing taken`, async (t) => {
    const result = await paymentsIn(t, mode)
    results[mode] = result
    t.same(result.outcomes, expected)
    t.equal(result.counted['points_operations_total{type="USE"}'], 2, 'one point use counted per payment')
    t.equal(result.counted['points_amount_total{type="USE"}'], 2 * PRICE, 'the points they moved')
    for (const code of ['INSUFFICIENT_POINTS', 'REFERENCE_VOIDED', 'REFERENCE_CONFLICT']) {
      t.ok((result.counted[`points_refusals_total{code="${code}"}`] ?? 0) > 0, `${code} counted`)
    }
  })
}

t.test('both modes: the same answers and the same metrics', async (t) => {
  t.same(results.monolith?.outcomes, results.split?.outcomes)
  t.same(results.monolith?.counted, results.split?.counted)
})
