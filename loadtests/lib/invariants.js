// @ts-check
/**
 * The books after a sale, checked through the public API in teardown: seats sold = payments made,
 * no seat sold twice, points moved = prices paid, and every balance equal to its history.
 * A broken invariant is counted (threshold `invariant_violations: count==0`), printed, and fails
 * the run.
 */
import { check, sleep } from 'k6'
import exec from 'k6/execution'
import { currentPoints, dataOf, pointHistory, reservation } from './api.js'
import { seatsOf } from './catalog.js'
import { invariantViolations } from './metrics.js'
import { admitAll, waitInLine } from './queue.js'
import { inspectorUser } from './users.js'

/**
 * A user's ledger as the point API shows it.
 * @param {number} userId
 * @returns {import('./api.js').HistoryEntry[] | undefined}
 */
function historyOf(userId) {
  /** @type {import('./api.js').HistoryEntry[]} */
  const entries = []
  /** @type {string | null} */
  let cursor = null
  do {
    /** @type {import('./api.js').HistoryPage | undefined} */
    const page = dataOf(pointHistory(userId, cursor))
    if (!page) return undefined
    entries.push(...page.history)
    cursor = page.nextCursor
  } while (cursor)
  return entries
}

/**
 * @typedef {object} Sale
 * @property {import('./run.js').RunData} run
 * @property {number} users VU users 1..users took part (user id = base + VU id)
 * @property {boolean} paying whether the scenario's users pay for their holds
 * @property {number} [lookupLimitSeconds] how long to wait in line to act as each payer (default 120)
 */

/**
 * Checks the books and returns the broken invariants (empty when all hold).
 * @param {Sale} sale
 * @returns {string[]}
 */
export function brokenInvariants({ run, users, paying, lookupLimitSeconds = 120 }) {
  const broken = []
  const performance = run.performance
  if (!performance) return ['setup chose no performance']

  // The seat list may lag a hold or a sale by up to a second (the API contract): let it settle.
  // Wall-clock based, so the wait is real however sleep() is paced.
  const settled = Date.now() + 1500
  while (Date.now() < settled) sleep(0.25)

  // The seats that left the AVAILABLE list during the run (held or sold).
  let seatsNow = run.inspector ? seatsOf(run.inspector, performance.concertOptionId) : undefined
  if (!seatsNow) {
    // The inspector's token ran out during a long run: queue again.
    const inspector = waitInLine(inspectorUser(run.userBase), { limitSeconds: 120 })
    seatsNow = inspector ? seatsOf(inspector, performance.concertOptionId) : undefined
  }
  if (!seatsNow) return ['could not read the seat list after the run']
  const listedNow = new Set()
  for (const seat of seatsNow) {
    if (listedNow.has(seat.seatId)) broken.push(`seat ${seat.seatId} is listed twice as AVAILABLE`)
    listedNow.add(seat.seatId)
  }
  const priceOf = new Map(performance.seats.map((s) => [s.seatId, s.price]))
  const taken = performance.seats.filter((s) => !listedNow.has(s.seatId))

  // Every user's ledger: payments are USE entries (reference = the reservation) not refunded.
  /** @type {Map<string, { userId: number, amount: number }>} */
  const paid = new Map()
  let pointsMoved = 0
  for (let vu = 1; vu <= users; vu++) {
    const userId = run.userBase + vu
    const history = historyOf(userId)
    if (!history) {
      broken.push(`could not read the point history of user ${userId}`)
      continue
    }
    let balance = 0
    for (const entry of [...history].sort((a, b) => a.id - b.id)) {
      const signed = entry.type === 'USE' ? -entry.amount : entry.amount
      balance += signed
      if (entry.balanceAfter !== balance) {
        broken.push(
          `user ${userId}: history entry ${entry.id} says ${entry.balanceAfter} after it, the sum says ${balance}`,
        )
      }
      if (entry.type === 'CHARGE' || !entry.reference) continue
      pointsMoved -= signed
      if (entry.type === 'USE') {
        if (paid.has(entry.reference)) broken.push(`${entry.reference} was paid twice`)
        paid.set(entry.reference, { userId, amount: entry.amount })
      } else paid.delete(entry.reference)
    }
    /** @type {import('./api.js').Balance | undefined} */
    const now = dataOf(currentPoints(userId))
    if (!now || now.currentPoints !== balance) {
      broken.push(`user ${userId}: balance ${JSON.stringify(now)} differs from the history's ${balance}`)
    }
  }

  if (!paying) {
    if (paid.size > 0) broken.push(`${paid.size} payments were made in a scenario that never pays`)
    if (pointsMoved !== 0) broken.push(`${pointsMoved} points moved in a scenario that never pays`)
    return broken
  }

  if (taken.length !== paid.size) {
    broken.push(
      `seats sold (${taken.length} left the AVAILABLE list) ≠ payments made (${paid.size}): a hold left unpaid or a seat sold without a payment`,
    )
  }

  // Act as each payer to see which seat each payment bought.
  const reservations = [...paid.entries()].map(([reference, p]) => ({
    reservationId: Number(reference.split(':')[1]),
    userId: p.userId,
    amount: p.amount,
  }))
  const tokens = admitAll([...new Set(reservations.map((r) => r.userId))], lookupLimitSeconds)
  // A payer the waiting room does not admit in time (the ACTIVE cap is full) cannot be looked up:
  // that is reported as unverified, not as a broken invariant.
  const unverified = reservations.filter((r) => !tokens.has(r.userId))
  check(unverified, { 'every payment’s seat was looked up': (u) => u.length === 0 })
  if (unverified.length > 0) {
    console.warn(
      `${unverified.length} payers were not admitted within ${lookupLimitSeconds} s: their seats are unverified`,
    )
  }
  const seatsSold = new Set()
  let pricesPaid = 0
  for (const r of reservations) {
    const payer = tokens.get(r.userId)
    if (!payer) {
      pricesPaid += r.amount
      continue
    }
    /** @type {import('./api.js').Reservation | undefined} */
    const found = dataOf(reservation(payer, r.reservationId))
    if (!found) {
      broken.push(`reservation ${r.reservationId} of user ${r.userId} cannot be read`)
      continue
    }
    if (found.status !== 'PAID') broken.push(`reservation ${r.reservationId} was paid but is ${found.status}`)
    if (seatsSold.has(found.seatId)) broken.push(`seat ${found.seatId} was sold twice`)
    seatsSold.add(found.seatId)
    if (listedNow.has(found.seatId)) broken.push(`seat ${found.seatId} is sold and still listed as AVAILABLE`)
    const price = priceOf.get(found.seatId)
    if (price === undefined)
      broken.push(`reservation ${r.reservationId} bought seat ${found.seatId} of another performance`)
    if (found.price !== r.amount) {
      broken.push(`reservation ${r.reservationId} costs ${found.price} but ${r.amount} points were taken`)
    }
    pricesPaid += price === undefined ? 0 : price
  }
  if (pointsMoved !== pricesPaid) broken.push(`points moved (${pointsMoved}) ≠ prices paid (${pricesPaid})`)
  return broken
}

/**
 * Teardown: checks the books, reports each broken invariant, and fails the run when any is broken.
 * @param {Sale} sale
 */
export function checkTheBooks(sale) {
  const broken = brokenInvariants(sale)
  check(broken, { 'the books balance after the sale': (b) => b.length === 0 })
  for (const problem of broken) {
    console.error(`invariant broken: ${problem}`)
    invariantViolations.add(1)
  }
  // The threshold fails the run on every k6; newer ones (with exec.test.fail) also say why.
  if (broken.length > 0 && typeof exec.test.fail === 'function') {
    exec.test.fail(`${broken.length} invariants broken after the sale`)
  }
  return broken
}
