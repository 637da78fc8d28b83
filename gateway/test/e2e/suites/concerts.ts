import { seedDemoDataIfEmpty } from '@stagepass/db'
import { EventPublisher } from '@stagepass/events'
import { admittedToken, apiClient, eventually, type TestSystem } from '@stagepass/testkit'
import type { Test } from 'tap'

/** Joins the waiting room and waits for admission, as a browsing user does. */
export async function concertSuite(t: Test, system: TestSystem) {
  const api = apiClient(system.baseUrl)
  t.teardown(() => api.close())
  // The default demo catalog; any suite that needs one loads it the same way, whichever runs first.
  await seedDemoDataIfEmpty(system.db, () => {})
  const token = await admittedToken(api, 7001)
  const get = (path: string) => api.get(path, { token })

  // Concert 42 (performances 124-126): away from option 1, which other suites race for.
  const concertId = 42
  const options = await system.db
    .selectFrom('concert_option')
    .select(['id', 'venue', 'starts_at'])
    .where('concert_id', '=', concertId)
    .orderBy('starts_at')
    .execute()
  const optionId = Number(options[0]?.id)

  /** What MySQL says is free, computed independently of the service. */
  async function freeSeatIds(concertOptionId: number): Promise<number[]> {
    const now = new Date()
    const seats = await system.db
      .selectFrom('seat')
      .select('id')
      .where('concert_option_id', '=', concertOptionId)
      .orderBy('seat_no')
      .execute()
    const taken = await system.db
      .selectFrom('reservation')
      .select('seat_id')
      .where('concert_option_id', '=', concertOptionId)
      .where((eb) =>
        eb.or([eb('status', '=', 'PAID'), eb.and([eb('status', '=', 'PENDING'), eb('expires_at', '>', now)])]),
      )
      .execute()
    const takenIds = new Set(taken.map((r) => Number(r.seat_id)))
    return seats.map((s) => Number(s.id)).filter((id) => !takenIds.has(id))
  }

  await t.test('the routes need an ACTIVE queue token', async (t) => {
    for (const path of [
      '/concerts',
      `/concerts/${concertId}/available-dates`,
      `/concerts/${optionId}/available-seats`,
      `/concerts/${optionId}/seats`,
    ]) {
      const missing = await api.get(path)
      t.equal(missing.status, 401, path)
      t.equal(missing.body.code, 'TOKEN_MISSING')
      const forged = await api.get(path, { token: 'not-a-token' })
      t.equal(forged.status, 401, path)
      t.equal(forged.body.code, 'TOKEN_INVALID')
    }
  })

  await t.test('GET /concerts lists the catalog', async (t) => {
    const res = await get('/concerts')
    t.equal(res.status, 200)
    t.equal(res.body.data.concerts.length, 100)
    t.match(res.body.data.concerts[0], {
      id: 1,
      concertName: String,
      singer: String,
      startDate: /^\d{4}-\d{2}-\d{2}$/,
      endDate: /^\d{4}-\d{2}-\d{2}$/,
      reserveStartDate: /Z$/,
      reserveEndDate: /Z$/,
    })
  })

  await t.test('GET /concerts pages through the catalog once; bad paging parameters are 400', async (t) => {
    const first = await get('/concerts')
    t.equal(first.body.data.nextCursor, null, 'the demo catalog fits on the first page')
    const ids: number[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await get(cursor === null ? '/concerts?limit=30' : `/concerts?limit=30&cursor=${cursor}`)
      t.equal(res.status, 200)
      ids.push(...res.body.data.concerts.map((c: { id: number }) => c.id))
      cursor = res.body.data.nextCursor
      pages++
    } while (cursor !== null && pages < 10)
    t.equal(pages, 4)
    t.same(
      ids,
      first.body.data.concerts.map((c: { id: number }) => c.id),
      'the pages hold the first page, once each',
    )
    for (const [query, field] of [
      ['limit=101', 'limit'],
      ['cursor=x1', 'cursor'],
    ] as const) {
      const res = await get(`/concerts?${query}`)
      t.equal(res.status, 400, query)
      t.match(res.body, { code: 'VALIDATION_ERROR', message: new RegExp(field) })
    }
  })

  await t.test('available-dates lists the performances with their free seats', async (t) => {
    const res = await get(`/concerts/${concertId}/available-dates`)
    t.equal(res.status, 200)
    t.equal(res.body.data.concertId, concertId)
    const expected = []
    for (const option of options) {
      expected.push({
        concertOptionId: Number(option.id),
        concertId,
        concertDate: option.starts_at.toISOString().slice(0, 10),
        concertTime: option.starts_at.toISOString().slice(11, 16),
        concertVenue: option.venue,
        availableSeats: (await freeSeatIds(Number(option.id))).length,
      })
    }
    t.match(res.body.data.concerts, expected)
    t.equal(res.body.data.concerts.length, options.length)
  })

  await t.test('a hold leaves available-seats and is counted in available-dates', async (t) => {
    const before = await get(`/concerts/${optionId}/available-seats`)
    t.equal(before.status, 200)
    t.same(
      before.body.data.seats.map((s: { seatId: number }) => s.seatId),
      await freeSeatIds(optionId),
    )
    t.ok(before.body.data.seats.every((s: { status: string }) => s.status === 'AVAILABLE'))

    // The hold as booking commits it, and the event its outbox relay then publishes.
    const seat = before.body.data.seats[0]
    const expiresAt = new Date(Date.now() + 300_000)
    const hold = await system.db
      .insertInto('reservation')
      .values({
        user_id: 7001,
        seat_id: seat.seatId,
        concert_option_id: optionId,
        price: seat.price,
        status: 'PENDING',
        hold_slot: 1,
        expires_at: expiresAt,
      })
      .executeTakeFirstOrThrow()
    const publisher = new EventPublisher(system.bus)
    t.teardown(() => publisher.close())
    const reservationId = Number(hold.insertId)
    await publisher.publish(
      'reservation.held',
      {
        reservationId,
        userId: 7001,
        seatId: seat.seatId,
        concertOptionId: optionId,
        expiresAt: expiresAt.toISOString(),
      },
      `e2e-held-${reservationId}`,
    )
    // Asked until it shows; how soon is the cache's promise, checked in the concert service's own tests.
    const gone = await eventually(async () => {
      const res = await get(`/concerts/${optionId}/available-seats`)
      return !res.body.data.seats.some((s: { seatId: number }) => s.seatId === seat.seatId)
    })
    t.ok(gone, 'the held seat leaves the list')
    const free = (await freeSeatIds(optionId)).length
    const counted = await eventually(async () => {
      const dates = await get(`/concerts/${concertId}/available-dates`)
      const shown = dates.body.data.concerts.find((c: { concertOptionId: number }) => c.concertOptionId === optionId)
      return shown?.availableSeats === free
    })
    t.ok(counted, 'and available-dates counts it')
  })

  await t.test('unknown ids are 404 and bad ids 400, through the gateway', async (t) => {
    const concert = await get('/concerts/999999/available-dates')
    t.equal(concert.status, 404)
    t.equal(concert.body.code, 'CONCERT_NOT_FOUND')
    for (const path of ['/concerts/999999/available-seats', '/concerts/999999/seats']) {
      const option = await get(path)
      t.equal(option.status, 404, path)
      t.equal(option.body.code, 'CONCERT_OPTION_NOT_FOUND')
    }
    for (const path of [
      '/concerts/abc/available-seats',
      '/concerts/0/available-dates',
      '/concerts?page=2',
      '/concerts/abc/seats',
      '/concerts/-1/seats',
      '/concerts/1/seats?status=FREE',
    ]) {
      const res = await get(path)
      t.equal(res.status, 400, path)
      t.match(res.body, { statusCode: 400, code: 'VALIDATION_ERROR', error: 'Bad Request', message: String })
    }
  })
}
