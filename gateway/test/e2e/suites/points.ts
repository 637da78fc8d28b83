import { apiClient, concurrently, type TestSystem, tally } from '@stagepass/testkit'
import { sql } from 'kysely'
import type { Test } from 'tap'

const randomAmount = () => 1 + Math.floor(Math.random() * 100_000)

export async function pointSuite(t: Test, system: TestSystem) {
  const api = apiClient(system.baseUrl)
  t.teardown(() => api.close())
  const historyRows = async () =>
    Number(
      (await system.db.selectFrom('point_history').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n,
    )

  await t.test('a new user has 0 points; charging adds to the balance', async (t) => {
    const before = await api.get('/points/current/101')
    t.same(before.body, { data: { userId: 101, currentPoints: 0 } })
    const charged = await api.put('/points/charge', { userId: 101, amount: 5000 })
    t.equal(charged.status, 200)
    t.same(charged.body, { data: { userId: 101, currentPoints: 5000 } })
    t.same((await api.get('/points/current/101')).body, { data: { userId: 101, currentPoints: 5000 } })
  })

  await t.test('history pages newest first with a cursor, each row carrying the balance after it', async (t) => {
    const userId = 102
    for (const amount of [100, 200, 300, 400, 500]) await api.put('/points/charge', { userId, amount })
    const first = await api.get(`/points/history/${userId}?limit=2`)
    t.equal(first.status, 200)
    t.same(
      first.body.data.history.map((h: { amount: number; balanceAfter: number; type: string }) => [
        h.type,
        h.amount,
        h.balanceAfter,
      ]),
      [
        ['CHARGE', 500, 1500],
        ['CHARGE', 400, 1000],
      ],
    )
    t.type(first.body.data.nextCursor, 'string')
    t.match(first.body.data.history[0].createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    const second = await api.get(`/points/history/${userId}?limit=2&cursor=${first.body.data.nextCursor}`)
    const third = await api.get(`/points/history/${userId}?limit=2&cursor=${second.body.data.nextCursor}`)
    t.same(
      [...first.body.data.history, ...second.body.data.history, ...third.body.data.history].map(
        (h: { amount: number }) => h.amount,
      ),
      [500, 400, 300, 200, 100],
    )
    t.equal(third.body.data.nextCursor, null, 'no page after the last')
    t.same((await api.get('/points/history/103')).body, { data: { userId: 103, history: [], nextCursor: null } })
  })

  await t.test('500 concurrent charges of random amounts to one user: nothing lost, nothing created', async (t) => {
    const userId = 104
    const amounts = Array.from({ length: 500 }, randomAmount)
    const results = await concurrently(500, (i) => api.put('/points/charge', { userId, amount: amounts[i] }))
    t.same(tally(results.map((r) => r.status)), { 200: 500 })
    const expected = amounts.reduce((a, b) => a + b, 0)
    t.same((await api.get(`/points/current/${userId}`)).body.data.currentPoints, expected)
    const { rows } = await sql<{ total: string; n: number }>`
      select sum(amount) as total, count(*) as n from point_history where user_id = ${userId}`.execute(system.db)
    t.equal(Number(rows[0]?.total), expected, 'balance == sum(history)')
    t.equal(Number(rows[0]?.n), 500, 'one history row per charge')
    const balancesAfter = new Set(results.map((r) => r.body.data.currentPoints))
    t.equal(balancesAfter.size, 500, 'each charge saw a distinct balance: they were serialised, not lost')
  })

  await t.test('bad input on every route is a 400 in the documented shape, and nothing is written', async (t) => {
    const before = await historyRows()
    const badCharges: unknown[] = [
      {},
      { userId: 1 },
      { amount: 10 },
      { userId: '1', amount: 10 },
      { userId: 1, amount: '10' },
      { userId: 1, amount: 0 },
      { userId: 1, amount: -10 },
      { userId: 0, amount: 10 },
      { userId: -1, amount: 10 },
      { userId: 1, amount: 10_000_001 },
      { userId: 1, amount: 1e300 },
      { userId: Number.MAX_SAFE_INTEGER + 1, amount: 10 },
      { userId: 1.5, amount: 10 },
      { userId: 1, amount: 10.25 },
      { userId: 1, amount: null },
      { userId: 1, amount: 10, role: 'admin' },
      [{ userId: 1, amount: 10 }],
      'userId=1&amount=10',
    ]
    for (const body of badCharges) {
      const res = await api.put('/points/charge', body)
      t.equal(res.status, 400, `charge ${JSON.stringify(body)}`)
      t.match(res.body, { statusCode: 400, code: 'VALIDATION_ERROR', error: 'Bad Request', message: /\S/ })
    }
    const namesField = await api.put('/points/charge', { userId: 1, amount: -1 })
    t.match(namesField.body.message, /amount/, 'the message names the field')

    const rawCases: Array<[string, Record<string, string>]> = [
      ['{"userId": 1, "amount": ', { 'content-type': 'application/json' }],
      ['', { 'content-type': 'application/json' }],
      ['userId=1&amount=10', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['{"userId":1,"amount":10}', { 'content-type': 'text/plain' }],
    ]
    for (const [rawBody, headers] of rawCases) {
      const res = await api.call('PUT', '/points/charge', { rawBody, headers })
      t.equal(res.status, 400, `raw ${headers['content-type']} ${JSON.stringify(rawBody)}`)
      t.equal(res.body.code, 'VALIDATION_ERROR')
    }

    for (const path of [
      '/points/current/abc',
      '/points/current/0',
      '/points/current/-3',
      '/points/current/1.5',
      '/points/current/99999999999999999999',
      '/points/current/1e2',
      '/points/current/0x10',
      '/points/current/%2012',
      '/points/history/abc',
      '/points/history/1?limit=0',
      '/points/history/1?limit=101',
      '/points/history/1?limit=ten',
      '/points/history/1?cursor=abc',
      '/points/history/1?cursor=-1',
      '/points/history/1?limit=1e1',
      '/points/history/1?sort=asc',
    ]) {
      const res = await api.get(path)
      t.equal(res.status, 400, path)
      t.match(res.body, { statusCode: 400, code: 'VALIDATION_ERROR', error: 'Bad Request' })
    }
    t.equal(await historyRows(), before, 'nothing was written')
  })

  await t.test('unknown routes and internal routes are a 404 in the same shape', async (t) => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/points'],
      ['DELETE', '/points/charge'],
      ['POST', '/internal/points/use'],
      ['POST', '/internal/points/refund'],
      ['POST', '/points/../internal/points/use'],
      ['POST', '/points/%2e%2e/internal/points/use'],
      ['POST', '/points/internal/points/use'],
    ] as const) {
      const res = await api.call(method, path, { body: { userId: 1, amount: 1, reference: 'escape' } })
      t.ok([404, 400].includes(res.status), `${method} ${path} → ${res.status}`)
      t.match(res.body, { statusCode: res.status, code: /\S/, error: /\S/, message: /\S/ })
    }
    const used = await system.db.selectFrom('point_history').select('id').where('reference', '=', 'escape').execute()
    t.equal(used.length, 0, 'no internal operation ran')
  })

  await t.test('every response carries a request id: the caller’s, or a new one', async (t) => {
    const echoed = await api.get('/points/current/1', { headers: { 'x-request-id': 'checkout-7f3a' } })
    t.equal(echoed.headers['x-request-id'], 'checkout-7f3a')
    const generated = await api.get('/points/current/1')
    t.match(generated.headers['x-request-id'], /^[0-9a-f-]{36}$/)
    const onError = await api.get('/points/current/abc', { headers: { 'x-request-id': 'bad-input-1' } })
    t.equal(onError.headers['x-request-id'], 'bad-input-1')
  })
}
