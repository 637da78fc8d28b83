// @ts-check
/** Custom metrics, created in the init context as k6 requires; thresholds name them. */
import { Counter } from 'k6/metrics'

/** Responses with a status the scenario does not allow (tagged with the status and route). */
export const unexpectedStatuses = new Counter('unexpected_statuses')
/** Seat holds that succeeded (200 from POST /concerts/reserve-seat). */
export const seatHolds = new Counter('seat_holds')
/** Payments that succeeded (200 from POST /payment/pay). */
export const paymentsCompleted = new Counter('payments_completed')
/** Users who got an ACTIVE token, and those who gave up waiting for one. */
export const usersAdmitted = new Counter('users_admitted')
export const usersGaveUp = new Counter('users_gave_up_waiting')
/** Broken invariants found by a teardown (seats sold twice, points lost, …). */
export const invariantViolations = new Counter('invariant_violations')
/** Charges refused because the signed-in user reached the daily charge limit (user tokens on). */
export const chargesCapped = new Counter('charges_capped')
/** Requests whose last answer was a failure (a 5xx, or no answer at all), after any move to another gateway. */
export const requestsFailed = new Counter('requests_failed')
/** Times a VU moved to another gateway because its own refused the connection or was shutting down. */
export const gatewayMoves = new Counter('gateway_moves')
