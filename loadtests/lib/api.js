// @ts-check
/**
 * The public HTTP API (docs: the API contract), one function per route. Requests are tagged with
 * the route pattern (`name`), so results group by route rather than by URL, and with
 * `measured: yes|no`, so thresholds judge only what a scenario is about.
 */
import { check } from 'k6'
import http from 'k6/http'
import { BASE_URLS, USER_AUTH } from './config.js'
import { gatewayMoves, requestsFailed, unexpectedStatuses } from './metrics.js'
import { userToken } from './user-token.js'

/**
 * @typedef {{ token: string, status: 'WAITING' | 'ACTIVE', queueOrder: number, remainingTime: number,
 *   estimatedWaitSeconds?: number, expiresAt?: string, pollAfterSeconds?: number }} Ticket
 * @typedef {{ userId: number, currentPoints: number }} Balance
 * @typedef {{ id: number, type: 'CHARGE' | 'USE' | 'REFUND', amount: number, balanceAfter: number,
 *   reference: string | null, createdAt: string }} HistoryEntry
 * @typedef {{ userId: number, history: HistoryEntry[], nextCursor: string | null }} HistoryPage
 * @typedef {{ id: number, concertName: string, singer: string, startDate: string, endDate: string,
 *   reserveStartDate: string, reserveEndDate: string }} Concert
 * @typedef {{ concertOptionId: number, concertId: number, concertName: string, concertDate: string,
 *   concertTime: string, concertVenue: string, availableSeats: number }} ConcertDate
 * @typedef {{ seatId: number, seatNo: number, price: number, status: 'AVAILABLE' }} Seat
 * @typedef {{ reservationId: number, seatId: number, seatNo: number, concertOptionId: number, price: number,
 *   status: 'PENDING', reservationExpireTime: string, message: string }} Hold
 * @typedef {{ paymentId: number, reservationId: number, seatNo: number, price: number, status: 'PAID',
 *   currentPoints: number }} Receipt
 * @typedef {{ reservationId: number, userId: number, seatId: number, seatNo: number, concertOptionId: number,
 *   price: number, status: 'PENDING' | 'PAID' | 'EXPIRED' | 'CANCELLED', paidAt: string | null,
 *   paymentId: number | null }} Reservation
 */

/**
 * An ACTIVE queue token and the user it was issued to: what a guarded route takes.
 * @typedef {{ userId: number, token: string }} Holder
 */

/**
 * @typedef {object} CallOptions
 * @property {boolean} [measured] this request is what the scenario measures
 * @property {number[]} [expected] statuses that are not failures (default: 200 only)
 * @property {Record<string, string>} [headers]
 */

/** @type {Record<string, ReturnType<typeof http.expectedStatuses>>} */
const expectations = {}
/** @param {number[]} statuses */
function expectation(statuses) {
  const key = statuses.join(',')
  let callback = expectations[key]
  if (!callback) {
    callback = http.expectedStatuses(...statuses)
    expectations[key] = callback
  }
  return callback
}

/** k6's error code for a connection the server refused: the request never left. */
const CONNECTION_REFUSED = 1212

/** k6's error code for a connection the server reset: a gateway that closed it as it stopped, say. */
const CONNECTION_RESET = 1220

/**
 * Whether the connection was cut under the request: reset, or closed before any answer (k6 gives the
 * latter, an idle kept-alive connection closed as the request left, only as `EOF` with a generic code).
 * @param {import('k6/http').RefinedResponse<import('k6/http').ResponseType | undefined>} res
 */
function connectionCut(res) {
  return res.status === 0 && (res.error_code === CONNECTION_RESET || /\bEOF$/.test(res.error))
}

/**
 * Whether a request may be sent twice: a read, a join (the same user's place comes back), or one that
 * carries an Idempotency-Key (the payment: the second answer is the first one's receipt).
 * @param {string} method
 * @param {string} name
 * @param {Record<string, string>} headers
 */
function resendable(method, name, headers) {
  return method === 'GET' || name === 'POST /queue/tokens' || headers['idempotency-key'] !== undefined
}

/** Which of BASE_URLS this VU sends to (setup and teardown, VU 0, start at the first). */
let gateway = __VU % BASE_URLS.length

/**
 * A gateway that refused the connection (it died or is restarting) or answered 503 SHUTTING_DOWN
 * (it, or the instance behind it, is draining) did nothing with the request: the client moves to
 * the next gateway, for this request and the ones after it, as a load balancer takes a dead backend
 * out. With one gateway it is the answer.
 * @param {import('k6/http').RefinedResponse<import('k6/http').ResponseType | undefined>} res
 */
function gatewayGone(res) {
  if (BASE_URLS.length < 2) return false
  if (res.status === 0) return res.error_code === CONNECTION_REFUSED
  return res.status === 503 && errorCode(res) === 'SHUTTING_DOWN'
}

/**
 * @param {'GET' | 'POST' | 'PUT' | 'PATCH'} method
 * @param {string} path
 * @param {string} name the route pattern, e.g. `GET /points/current/:userId`
 * @param {unknown} body
 * @param {Record<string, string>} auth the credentials this route takes (see `asUser`, `asHolder`)
 * @param {CallOptions} options
 */
function call(method, path, name, body, auth, options) {
  const measured = options.measured === true
  const expected = options.expected || [200]
  /** @type {Record<string, string>} */
  const headers = Object.assign({}, options.headers, auth)
  if (body !== undefined) headers['content-type'] = 'application/json'
  const send = () =>
    http.request(method, `${BASE_URLS[gateway]}${path}`, body === undefined ? null : JSON.stringify(body), {
      headers,
      tags: { name, measured: measured ? 'yes' : 'no' },
      responseCallback: expectation(expected),
    })
  let res = send()
  for (let moves = 1; moves < BASE_URLS.length && gatewayGone(res); moves++) {
    gateway = (gateway + 1) % BASE_URLS.length
    gatewayMoves.add(1, { name })
    res = send()
  }
  // A connection the gateway cut (it closed a kept-alive connection as it stopped, as the request
  // left): what may safely be sent twice goes to the next gateway, as a browser resends on a reused
  // connection that failed; anything else is a failure its user sees.
  if (BASE_URLS.length > 1 && connectionCut(res) && resendable(method, name, headers)) {
    gateway = (gateway + 1) % BASE_URLS.length
    gatewayMoves.add(1, { name })
    res = send()
  }
  // No answer at all (a reset, a timeout): this gateway may be gone; the next request tries another.
  if (res.status === 0) gateway = (gateway + 1) % BASE_URLS.length
  if (res.status === 0 || res.status >= 500) {
    requestsFailed.add(1, { name, status: String(res.status), code: errorCode(res) || `k6:${res.error_code}` })
  }
  if (expected.indexOf(res.status) < 0) unexpectedStatuses.add(1, { name, status: String(res.status) })
  return res
}

/**
 * Credentials of the unguarded routes (`/points`, `/queue`): the user's own token when user tokens
 * are on, nothing otherwise (the original contract: the userId in the path or body is enough).
 * @param {number} userId
 * @returns {Record<string, string>}
 */
function asUser(userId) {
  return USER_AUTH === 'jwt' ? { authorization: `Bearer ${userToken(userId)}` } : {}
}

/**
 * Credentials of the guarded routes: the ACTIVE queue token, plus the user's own token (which must
 * name the same user) when user tokens are on.
 * @param {Holder} holder
 * @returns {Record<string, string>}
 */
function asHolder(holder) {
  /** @type {Record<string, string>} */
  const auth = { authorization: `Bearer ${holder.token}` }
  if (USER_AUTH === 'jwt') auth['x-user-token'] = userToken(holder.userId)
  return auth
}

/**
 * The `data` of a 200 response, or undefined for any other answer (or a body that is not JSON).
 * @template T
 * @param {import('k6/http').RefinedResponse<import('k6/http').ResponseType | undefined>} res
 * @returns {T | undefined}
 */
export function dataOf(res) {
  if (res.status !== 200) return undefined
  try {
    return /** @type {T} */ (/** @type {{ data: unknown }} */ (res.json()).data)
  } catch (_notJson) {
    return undefined
  }
}

/**
 * The error `code` of a non-200 response (`SEAT_UNAVAILABLE`, `TOKEN_EXPIRED`, …).
 * @param {import('k6/http').RefinedResponse<import('k6/http').ResponseType | undefined>} res
 * @returns {string | undefined}
 */
export function errorCode(res) {
  try {
    const body = /** @type {{ code?: unknown } | null} */ (res.json())
    return body && typeof body.code === 'string' ? body.code : undefined
  } catch (_notJson) {
    return undefined
  }
}

/**
 * Records a check that the response has one of the allowed statuses.
 * @param {import('k6/http').RefinedResponse<import('k6/http').ResponseType | undefined>} res
 * @param {string} what
 * @param {number[]} [statuses]
 */
export function expectStatus(res, what, statuses = [200]) {
  return check(res, { [`${what}: ${statuses.join(' or ')}`]: (r) => statuses.indexOf(r.status) >= 0 })
}

// Points (the user's own token when user tokens are on)
/** @param {number} userId @param {number} amount @param {CallOptions} [o] */
export const chargePoints = (userId, amount, o = {}) =>
  call('PUT', '/points/charge', 'PUT /points/charge', { userId, amount }, asUser(userId), o)
/** @param {number} userId @param {CallOptions} [o] */
export const currentPoints = (userId, o = {}) =>
  call('GET', `/points/current/${userId}`, 'GET /points/current/:userId', undefined, asUser(userId), o)
/** @param {number} userId @param {string | null} cursor @param {CallOptions} [o] */
export const pointHistory = (userId, cursor, o = {}) =>
  call(
    'GET',
    `/points/history/${userId}?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
    'GET /points/history/:userId',
    undefined,
    asUser(userId),
    o,
  )

// Waiting queue (the user's own token when user tokens are on)
/** @param {number} userId @param {CallOptions} [o] */
export const joinQueue = (userId, o = {}) =>
  call('POST', '/queue/tokens', 'POST /queue/tokens', { userId }, asUser(userId), o)
/** @param {number} userId @param {CallOptions} [o] */
export const tokenStatus = (userId, o = {}) =>
  call('GET', `/queue/tokens/status/${userId}`, 'GET /queue/tokens/status/:userId', undefined, asUser(userId), o)

// Concerts (an ACTIVE queue token)
/** @param {Holder} holder @param {CallOptions} [o] */
export const listConcerts = (holder, o = {}) =>
  call('GET', '/concerts', 'GET /concerts', undefined, asHolder(holder), o)
/** @param {Holder} holder @param {number} concertId @param {CallOptions} [o] */
export const availableDates = (holder, concertId, o = {}) =>
  call(
    'GET',
    `/concerts/${concertId}/available-dates`,
    'GET /concerts/:concertId/available-dates',
    undefined,
    asHolder(holder),
    o,
  )
/** @param {Holder} holder @param {number} concertOptionId @param {CallOptions} [o] */
export const availableSeats = (holder, concertOptionId, o = {}) =>
  call(
    'GET',
    `/concerts/${concertOptionId}/available-seats`,
    'GET /concerts/:concertOptionId/available-seats',
    undefined,
    asHolder(holder),
    o,
  )

// Reservation and payment (an ACTIVE queue token)
/** @param {Holder} holder @param {number} seatId @param {CallOptions} [o] */
export const reserveSeat = (holder, seatId, o = {}) =>
  call(
    'POST',
    '/concerts/reserve-seat',
    'POST /concerts/reserve-seat',
    { seatId, userId: holder.userId },
    asHolder(holder),
    o,
  )
/** @param {Holder} holder @param {number} reservationId @param {string} idempotencyKey @param {CallOptions} [o] */
export const pay = (holder, reservationId, idempotencyKey, o = {}) =>
  call(
    'POST',
    '/payment/pay',
    'POST /payment/pay',
    { reservationId },
    Object.assign(asHolder(holder), { 'idempotency-key': idempotencyKey }),
    o,
  )
/** @param {Holder} holder @param {number} reservationId @param {CallOptions} [o] */
export const reservation = (holder, reservationId, o = {}) =>
  call('GET', `/reservations/${reservationId}`, 'GET /reservations/:reservationId', undefined, asHolder(holder), o)

/**
 * The queue's admission settings and counts, from its admin route (the queue's own port).
 * @param {string} adminUrl
 * @param {string} adminKey
 */
export function admissionStats(adminUrl, adminKey) {
  return http.get(`${adminUrl}/admin/queue`, {
    headers: { 'x-admin-key': adminKey },
    tags: { name: 'GET /admin/queue', measured: 'no' },
  })
}

/**
 * Changes admission through the queue's admin route (its own port, never through the gateway).
 * @param {string} adminUrl
 * @param {string} adminKey
 * @param {{ admitPerSecond?: number, maxActive?: number, paused?: boolean }} change
 */
export function changeAdmission(adminUrl, adminKey, change) {
  return http.patch(`${adminUrl}/admin/queue`, JSON.stringify(change), {
    headers: { 'content-type': 'application/json', 'x-admin-key': adminKey },
    tags: { name: 'PATCH /admin/queue', measured: 'no' },
  })
}
