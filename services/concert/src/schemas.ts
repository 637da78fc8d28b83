import { Type } from '@sinclair/typebox'
import { Id } from '@stagepass/kit'

export const ConcertParams = Type.Object({ concertId: Id }, { additionalProperties: false })
export const ConcertOptionParams = Type.Object({ concertOptionId: Id }, { additionalProperties: false })
/** These routes take no query parameters; any given is a client mistake worth a 400. */
export const NoQuery = Type.Object({}, { additionalProperties: false })

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

export const AvailableSeats = Type.Object({
  concertOptionId: Type.Integer(),
  seats: Type.Array(
    Type.Object({
      seatId: Type.Integer(),
      seatNo: Type.Integer(),
      price: Type.Integer({ description: 'won' }),
      status: Type.Literal('AVAILABLE'),
    }),
  ),
})
