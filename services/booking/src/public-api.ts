import { DATABASE_REFUSALS, INVALID_BODY, INVALID_INPUT, type Refusals, responses } from '@stagepass/kit'
import { Hold, PayBody, PayHeaders, Receipt, Reservation, ReservationParams, ReserveBody } from './schemas.js'

/** Every booking route acts for the queue token's user, whom the gateway names. */
const NO_USER: Refusals = { 401: ['TOKEN_MISSING'] }

/**
 * The booking context's public routes (see `responses` in the kit): its routes are declared from
 * these, the gateway's OpenAPI document is generated from them.
 */
export const bookingPublicApi = {
  reserve: {
    method: 'POST',
    url: '/concerts/reserve-seat',
    schema: {
      operationId: 'reserveSeat',
      tags: ['booking'],
      summary: 'Hold a seat for the token user until it is paid or the hold expires',
      body: ReserveBody,
      response: responses(Hold, INVALID_BODY, NO_USER, DATABASE_REFUSALS, {
        403: ['USER_MISMATCH'],
        404: ['SEAT_NOT_FOUND'],
        409: ['SEAT_UNAVAILABLE', 'HOLD_LIMIT_REACHED'],
      }),
    },
  },
  pay: {
    method: 'POST',
    url: '/payment/pay',
    schema: {
      operationId: 'payReservation',
      tags: ['booking'],
      summary: 'Pay a held seat with points; the same Idempotency-Key returns the first receipt again',
      body: PayBody,
      headers: PayHeaders,
      response: responses(Receipt, INVALID_BODY, NO_USER, DATABASE_REFUSALS, {
        404: ['RESERVATION_NOT_FOUND'],
        409: ['INSUFFICIENT_POINTS', 'ALREADY_PAID'],
        410: ['RESERVATION_EXPIRED'],
        // The point context could not be reached behind the payment (split mode).
        503: ['UPSTREAM_UNAVAILABLE'],
      }),
    },
  },
  reservation: {
    method: 'GET',
    url: '/reservations/:reservationId',
    schema: {
      operationId: 'getReservation',
      tags: ['booking'],
      summary: "One of the token user's reservations, with its status",
      params: ReservationParams,
      response: responses(Reservation, INVALID_INPUT, NO_USER, DATABASE_REFUSALS, {
        404: ['RESERVATION_NOT_FOUND'],
      }),
    },
  },
} as const
