import { seedDemoData } from '@stagepass/db'
import { createTestDatabase, createTestRedisPrefix, seatIdsOf } from '@stagepass/testkit'
import t from 'tap'
import { CONCERT_FIELDS, reserveSeatRow, setReservationStatus, startConcertService } from './helpers.js'

const { db, config } = await createTestDatabase(t)
const redis = createTestRedisPrefix(t)
// Concerts 1-3 with two performances each (options 1-6); option 1 has the fixed 100 seats, the rest 10.
await seedDemoData(db, { concerts: 3, optionsPerConcert: 2, seatsPerOption: 10 }, { today: new Date('2027-03-01') })
// A concert announced without performances yet, and a performance whose seats are not on sale yet.
await db
  .insertInto('concert')
  .values({
    id: 4,
    name: 'Spring Festival',
    singer: 'Various Artists',
    start_date: '2027-05-01',
    end_date: '2027-05-02',
    reserve_start_at: new Date('2027-03-01T00:00:00Z'),
    reserve_end_at: new Date('2027-04-30T00:00:00Z'),
  })
  .execute()
await db
  .insertInto('concert_option')
  .values({ id: 7, concert_id: 3, venue: 'Olympic Hall, Seoul', starts_at: new Date('2027-06-01T10:00:00Z') })
  .execute()

const { api } = await startConcertService(t, { mysql: config, redis })

/** Option 1's seats from `fromSeatNo` on, by seat number, as MySQL holds them. */
const seatRowsOfOption1 = (fromSeatNo = 1) =>
  db
    .selectFrom('seat')
    .select(['id', 'seat_no', 'price'])
    .where('concert_option_id', '=', 1)
    .where('seat_no', '>=', fromSeatNo)
    .orderBy('seat_no')
    .execute()

t.test('GET /concerts lists every concert with the documented fields', async (t) => {
  const res = await api.get('/concerts')
  t.equal(res.status, 200)
  const { concerts } = res.body.data
  t.same(
    concerts.map((c: { id: number }) => c.id),
    [1, 2, 3, 4],
  )
  for (const concert of concerts) {
    t.same(Object.keys(concert).sort(), CONCERT_FIELDS)
    t.match(concert.startDate, /^\d{4}-\d{2}-\d{2}$/)
    t.match(concert.endDate, /^\d{4}-\d{2}-\d{2}$/)
    t.match(concert.reserveStartDate, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    t.ok(concert.concertName.length > 0 && concert.singer.length > 0)
  }
  t.match(concerts[3], {
    id: 4,
    concertName: 'Spring Festival',
    startDate: '2027-05-01',
    endDate: '2027-05-02',
    reserveStartDate: '2027-03-01T00:00:00.000Z',
  })
})

t.test('available-dates counts only seats nobody holds or bought', async (t) => {
  const [s1, s2, s3, s4, s5] = await seatIdsOf(db, 1)
  await reserveSeatRow(db, s1 as number, { status: 'PAID' })
  await reserveSeatRow(db, s2 as number)
  await reserveSeatRow(db, s3 as number, { expiresInMs: -1000 }) // lapsed, not yet swept
  await setReservationStatus(db, await reserveSeatRow(db, s4 as number), 'EXPIRED')
  await setReservationStatus(db, await reserveSeatRow(db, s5 as number), 'CANCELLED')

  const res = await api.get('/concerts/1/available-dates')
  t.equal(res.status, 200)
  const options = await db
    .selectFrom('concert_option')
    .select(['id', 'venue', 'starts_at'])
    .where('concert_id', '=', 1)
    .orderBy('starts_at')
    .execute()
  const concert = await db.selectFrom('concert').select('name').where('id', '=', 1).executeTakeFirstOrThrow()
  t.same(res.body, {
    data: {
      concertId: 1,
      concerts: options.map((o) => ({
        concertOptionId: Number(o.id),
        concertId: 1,
        concertName: concert.name,
        concertDate: o.starts_at.toISOString().slice(0, 10),
        concertTime: o.starts_at.toISOString().slice(11, 16),
        concertVenue: o.venue,
        availableSeats: Number(o.id) === 1 ? 98 : 10,
        startsAt: o.starts_at.toISOString(),
      })),
    },
  })
})

t.test('available-dates of a concert without performances is an empty list', async (t) => {
  const res = await api.get('/concerts/4/available-dates')
  t.equal(res.status, 200)
  t.same(res.body, { data: { concertId: 4, concerts: [] } })
})

t.test('available-dates lists performances in date order with their free seats', async (t) => {
  const res = await api.get('/concerts/3/available-dates')
  t.same(
    res.body.data.concerts.map((c: { concertOptionId: number; availableSeats: number }) => [
      c.concertOptionId,
      c.availableSeats,
    ]),
    [
      [5, 10],
      [6, 10],
      [7, 0],
    ],
  )
  t.match(res.body.data.concerts[2], { concertDate: '2027-06-01', concertTime: '10:00' })
})

t.test('available-seats lists the free seats of the performance by seat number', async (t) => {
  const res = await api.get('/concerts/1/available-seats')
  t.equal(res.status, 200)
  const seats = res.body.data.seats
  t.equal(res.body.data.concertOptionId, 1)
  t.equal(seats.length, 98, 'the PAID and the live PENDING seat are gone')
  t.same(
    seats.slice(0, 4).map((s: { seatNo: number }) => s.seatNo),
    [3, 4, 5, 6],
    'a lapsed hold and expired or cancelled reservations leave the seat available',
  )
  const truth = await seatRowsOfOption1(3)
  t.same(
    seats,
    truth.map((s) => ({ seatId: Number(s.id), seatNo: s.seat_no, price: Number(s.price), status: 'AVAILABLE' })),
  )
  t.ok(
    seats.every((s: { price: unknown }) => Number.isInteger(s.price) && (s.price as number) > 0),
    'prices are whole won',
  )
})

t.test('the seat map shows every seat FREE, HELD or SOLD, and nothing of the reservations', async (t) => {
  const res = await api.get('/concerts/1/seats')
  t.equal(res.status, 200)
  const truth = await seatRowsOfOption1()
  // Seat 1 PAID, seat 2 held, seat 3 a lapsed hold, 4 and 5 expired and cancelled (see above).
  const statusOf = (seatNo: number) => (seatNo === 1 ? 'SOLD' : seatNo === 2 ? 'HELD' : 'FREE')
  t.same(res.body, {
    data: {
      concertOptionId: 1,
      seats: truth.map((s) => ({
        seatId: Number(s.id),
        seatNo: s.seat_no,
        price: Number(s.price),
        status: statusOf(s.seat_no),
      })),
    },
  })
})

t.test('available-seats and the seat map of a performance without seats are empty lists', async (t) => {
  for (const view of ['available-seats', 'seats']) {
    const res = await api.get(`/concerts/7/${view}`)
    t.equal(res.status, 200)
    t.same(res.body, { data: { concertOptionId: 7, seats: [] } }, view)
  }
})

t.test('unknown ids are 404 with the documented codes', async (t) => {
  const option = 'concert option 9007199254740991 not found'
  for (const [path, code, message] of [
    ['/concerts/999/available-dates', 'CONCERT_NOT_FOUND', 'concert 999 not found'],
    ['/concerts/9007199254740991/available-seats', 'CONCERT_OPTION_NOT_FOUND', option],
    ['/concerts/9007199254740991/seats', 'CONCERT_OPTION_NOT_FOUND', option],
  ] as const) {
    const res = await api.get(path)
    t.equal(res.status, 404, path)
    t.same(res.body, { statusCode: 404, code, error: 'Not Found', message }, path)
  }
})

t.test('bad input on every route is a 400 naming the field', async (t) => {
  const badIds = ['abc', '0', '-1', '1.5', '99999999999999999999', '9007199254740992', '%20']
  const cases: Array<[string, RegExp]> = []
  for (const id of badIds) {
    cases.push([`/concerts/${id}/available-dates`, /concertId/])
    cases.push([`/concerts/${id}/available-seats`, /concertOptionId/])
    cases.push([`/concerts/${id}/seats`, /concertOptionId/])
  }
  cases.push(['/concerts?page=2', /querystring/])
  cases.push(['/concerts/1/available-dates?concertId=2', /querystring/])
  cases.push(['/concerts/1/available-seats?fresh=true', /querystring/])
  cases.push(['/concerts/1/seats?status=FREE', /querystring/])
  for (const [path, field] of cases) {
    const res = await api.get(path)
    t.equal(res.status, 400, path)
    t.match(res.body, { statusCode: 400, code: 'VALIDATION_ERROR', error: 'Bad Request', message: field }, path)
  }
})
