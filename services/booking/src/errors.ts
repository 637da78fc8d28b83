import createError from '@fastify/error'
import { type ErrorBody, errorBody } from '@stagepass/kit'

export const QueueUserMissingError = createError('TOKEN_MISSING', 'a queue token is required', 401)
export const SeatNotFoundError = createError('SEAT_NOT_FOUND', 'seat %s does not exist', 404)
/**
 * A seat someone else holds (409 SEAT_UNAVAILABLE) is an answer, not an error: a stampede's common
 * outcome, given hundreds of times a second. It travels as this value, never as a thrown error,
 * whose stack and trip through Fastify's error handling cost more than the rest of the refusal.
 */
export const SEAT_REFUSED: unique symbol = Symbol('SEAT_UNAVAILABLE')
export type SeatRefused = typeof SEAT_REFUSED
/** The answer to a request refused with SEAT_REFUSED. */
export const seatUnavailable = (seatId: number): ErrorBody =>
  errorBody(409, 'SEAT_UNAVAILABLE', `seat ${seatId} is already held`)
export const HoldLimitReachedError = createError(
  'HOLD_LIMIT_REACHED',
  'user %s already holds %s seats for this performance',
  409,
)
export const ReservationNotFoundError = createError('RESERVATION_NOT_FOUND', 'reservation %s not found', 404)
export const ReservationExpiredError = createError('RESERVATION_EXPIRED', 'reservation %s has expired', 410)
export const AlreadyPaidError = createError('ALREADY_PAID', 'reservation %s is already paid', 409)
