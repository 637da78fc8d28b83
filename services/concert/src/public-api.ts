import { DATABASE_REFUSALS, INVALID_INPUT, responses } from '@stagepass/kit'
import {
  AvailableSeats,
  ConcertDates,
  ConcertList,
  ConcertListQuery,
  ConcertOptionParams,
  ConcertParams,
  NoQuery,
  SeatMap,
} from './schemas.js'

/**
 * The concert context's public routes (see `responses` in the kit): its routes are declared from
 * these, the gateway's OpenAPI document is generated from them.
 */
export const concertPublicApi = {
  concerts: {
    method: 'GET',
    url: '/concerts',
    schema: {
      operationId: 'listConcerts',
      tags: ['concerts'],
      summary: 'The catalog, a page at a time',
      querystring: ConcertListQuery,
      response: responses(ConcertList, INVALID_INPUT, DATABASE_REFUSALS),
    },
  },
  dates: {
    method: 'GET',
    url: '/concerts/:concertId/available-dates',
    schema: {
      operationId: 'listConcertDates',
      tags: ['concerts'],
      summary: "A concert's performances still open for booking (listed under `concerts`)",
      params: ConcertParams,
      querystring: NoQuery,
      response: responses(ConcertDates, INVALID_INPUT, DATABASE_REFUSALS, { 404: ['CONCERT_NOT_FOUND'] }),
    },
  },
  seats: {
    method: 'GET',
    url: '/concerts/:concertOptionId/available-seats',
    schema: {
      operationId: 'listAvailableSeats',
      tags: ['concerts'],
      summary: "A performance's seats still available (lags a hold or sale by at most 1 s)",
      params: ConcertOptionParams,
      querystring: NoQuery,
      response: responses(AvailableSeats, INVALID_INPUT, DATABASE_REFUSALS, { 404: ['CONCERT_OPTION_NOT_FOUND'] }),
    },
  },
  seatMap: {
    method: 'GET',
    url: '/concerts/:concertOptionId/seats',
    schema: {
      operationId: 'listSeatMap',
      tags: ['concerts'],
      summary: 'Every seat of a performance, FREE, HELD or SOLD (lags a hold or sale by at most 1 s)',
      params: ConcertOptionParams,
      querystring: NoQuery,
      response: responses(SeatMap, INVALID_INPUT, DATABASE_REFUSALS, { 404: ['CONCERT_OPTION_NOT_FOUND'] }),
    },
  },
} as const
