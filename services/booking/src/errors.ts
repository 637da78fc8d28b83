import createError from '@fastify/error'
import { type ErrorBody, errorBody } from '@stagepass/kit'

export const QueueUserMissingError = createError('TOKEN_MISSING', 'a queue token is required', 401)
export const SeatNotFoundError = createError('SEAT_NOT_FOUND', 'seat %s does not exist', 404)
const SEAT_UNAVAILABLE = 'seat %s is already held'
export const SeatUnavailableError = createError('SEAT_UNAVAILABLE', SEAT_UNAVAILABLE, 409)
/** SeatUnavailableError's body, for the stampede path that answers without building an error. */
export const seatUnavailable = (seatId: number): ErrorBody =>
  errorBody(409, 'SEAT_UNAVAILABLE', SEAT_UNAVAILABLE.replace('%s', String(seatId)))
export const HoldLimitReachedError = createError(
  'HOLD_LIMIT_REACHED',
  'user %s already holds %s seats for this performance',
  409,
)
export const ReservationNotFoundError = createError('RESERVATION_NOT_FOUND', 'reservation %s not found', 404)
export const ReservationExpiredError = createError('RESERVATION_EXPIRED', 'reservation %s has expired', 410)
export const AlreadyPaidError = createError('ALREADY_PAID', 'reservation %s is already paid', 409)
