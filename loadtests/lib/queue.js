// @ts-check
/**
 * The waiting room as a client sees it: join the line, poll the status until ACTIVE, then use the
 * token. A VU keeps its token across iterations (module state is per VU in k6) until it expires
 * or is revoked by a payment.
 */
import { sleep } from 'k6'
import { dataOf, errorCode, joinQueue, tokenStatus } from './api.js'
import { QUEUE_WAIT_LIMIT } from './config.js'
import { usersAdmitted, usersGaveUp } from './metrics.js'

/** @typedef {{ userId: number, token: string, expiresAt: number }} Pass */

/** @type {Pass | null} */
let pass = null

/**
 * Seconds until the next status poll: the server's `pollAfterSeconds` (docs/queue.md, "Poll
 * interval"); without it, often near the front of the line and at most every 5 s behind it (a
 * WAITING user who stops polling for QUEUE_ABANDON_AFTER_SECONDS loses the place).
 * @param {import('./api.js').Ticket} ticket
 */
function pollInterval(ticket) {
  if (ticket.pollAfterSeconds !== undefined) return ticket.pollAfterSeconds
  const wait = ticket.estimatedWaitSeconds === undefined ? ticket.remainingTime : ticket.estimatedWaitSeconds
  return Math.min(5, Math.max(1, Math.floor(wait / 2)))
}

/**
 * Joins the line and polls until the user is ACTIVE. Null when the user gave up (the line did not
 * move within `limitSeconds`, QUEUE_WAIT_LIMIT by default) or the queue kept failing.
 * @param {number} userId
 * @param {{ measureJoin?: boolean, measurePolls?: boolean, limitSeconds?: number }} [options]
 * @returns {Pass | null}
 */
export function waitInLine(
  userId,
  { measureJoin = false, measurePolls = false, limitSeconds = QUEUE_WAIT_LIMIT } = {},
) {
  const deadline = Date.now() + limitSeconds * 1000
  /** @type {import('./api.js').Ticket | undefined} */
  let ticket = dataOf(joinQueue(userId, { measured: measureJoin }))
  while (Date.now() < deadline) {
    if (ticket && ticket.status === 'ACTIVE') {
      usersAdmitted.add(1)
      return { userId, token: ticket.token, expiresAt: Date.now() + ticket.remainingTime * 1000 }
    }
    sleep(ticket ? pollInterval(ticket) : 1)
    const res = tokenStatus(userId, { measured: measurePolls, expected: [200, 404] })
    // 404: the place was lost (abandoned or expired while we slept); join again.
    ticket = res.status === 404 ? dataOf(joinQueue(userId)) : dataOf(res)
  }
  usersGaveUp.add(1)
  return null
}

/**
 * This VU's ACTIVE token for `userId`, waiting in line when it has none (or it is about to run out).
 * @param {number} userId
 * @returns {Pass | null}
 */
export function activePass(userId) {
  if (pass && pass.userId === userId && pass.expiresAt - Date.now() > 5000) return pass
  pass = waitInLine(userId)
  return pass
}

/** Forget the token (expired, revoked after a payment, or refused by the gateway). */
export function leaveStore() {
  pass = null
}

/**
 * True when the gateway refused the token (401/403): the caller drops it and queues again.
 * @param {import('k6/http').RefinedResponse<import('k6/http').ResponseType | undefined>} res
 */
export function tokenRefused(res) {
  if (res.status !== 401 && res.status !== 403) return false
  const code = errorCode(res)
  return code !== undefined && code.startsWith('TOKEN_')
}

/**
 * ACTIVE tokens for several users at once (teardown acting for each payer): everyone joins first,
 * then the statuses are polled together until all are ACTIVE or `limitSeconds` pass.
 * @param {number[]} userIds
 * @param {number} limitSeconds
 * @returns {Map<number, import('./api.js').Holder>} user id → token holder, for the users admitted in time
 */
export function admitAll(userIds, limitSeconds) {
  /** @type {Map<number, import('./api.js').Holder>} */
  const tokens = new Map()
  /** @type {Set<number>} */
  const waiting = new Set()
  for (const userId of userIds) {
    const ticket = dataOf(joinQueue(userId))
    if (ticket && ticket.status === 'ACTIVE') tokens.set(userId, { userId, token: ticket.token })
    else waiting.add(userId)
  }
  const deadline = Date.now() + limitSeconds * 1000
  while (waiting.size > 0 && Date.now() < deadline) {
    sleep(1)
    for (const userId of [...waiting]) {
      const res = tokenStatus(userId, { expected: [200, 404] })
      const ticket = res.status === 404 ? dataOf(joinQueue(userId)) : dataOf(res)
      if (ticket && ticket.status === 'ACTIVE') {
        tokens.set(userId, { userId, token: ticket.token })
        waiting.delete(userId)
      }
    }
  }
  return tokens
}
