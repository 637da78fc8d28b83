import { Type } from '@sinclair/typebox'
import { Id } from '@stagepass/kit'

export const ConcertParams = Type.Object({ concertId: Id }, { additionalProperties: false })
export const ConcertOptionParams = Type.Object({ concertOptionId: Id }, { additionalProperties: false })
/** These routes take no query parameters; any given is a client mistake worth a 400. */
export const NoQuery = Type.Object({}, { additionalProperties: false })

/** Most concerts on one page of `GET /concerts`, and the size of a page when none is asked for. */
export const CONCERT_PAGE_MAX = 100

/** `GET /concerts` pages (extension): without parameters it is the first page, as the original list was. */
export const ConcertListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: CONCERT_PAGE_MAX, default: CONCERT_PAGE_MAX }),
    cursor: Type.Optional(
      Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: "the previous page's nextCursor" }),
    ),
  },
  { additionalProperties: false },
)

const Day = Type.String({ description: 'YYYY-MM-DD (UTC)' })
const Instant = Type.String({ description: 'ISO-8601 UTC' })

export const ConcertList = Type.Object({
  concerts: Type.Array(
    Type.Object({
      id: Type.Integer(),
      concertName: Type.String(),
      singer: Type.String(),
      startDate: Day,
      endDate: Day,
      reserveStartDate: Instant,
      reserveEndDate: Instant,
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: '(extra) cursor of the next page; null on the last',
  }),
})

/** Historical names: the performances are listed under `concerts`. */
export const ConcertDates = Type.Object({
  concertId: Type.Integer(),
  concerts: Type.Array(
    Type.Object({
      concertOptionId: Type.Integer(),
      concertId: Type.Integer(),
      concertName: Type.String(),
      concertDate: Day,
      concertTime: Type.String({ description: 'HH:mm (UTC)' }),
      concertVenue: Type.String(),
      availableSeats: Type.Integer(),
      startsAt: Instant,
    }),
  ),
})

/** A seat as every seat list shows it, before its status. */
const seatFields = {
  seatId: Type.Integer(),
  seatNo: Type.Integer(),
  price: Type.Integer({ description: 'won' }),
}

export const AvailableSeats = Type.Object({
  concertOptionId: Type.Integer(),
  seats: Type.Array(Type.Object({ ...seatFields, status: Type.Literal('AVAILABLE') })),
})

/** Every seat of a performance with what a buyer may know of it; no holder, no reservation. */
export const SeatMap = Type.Object({
  concertOptionId: Type.Integer(),
  seats: Type.Array(
    Type.Object({
      ...seatFields,
      status: Type.Union([Type.Literal('FREE'), Type.Literal('HELD'), Type.Literal('SOLD')], {
        description: 'FREE: can be held; HELD: on hold, free again if the hold lapses; SOLD: paid',
      }),
    }),
  ),
})
