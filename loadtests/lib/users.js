// @ts-check
/**
 * Every run gets a user id range of its own, so runs against the same system never share wallets,
 * places in line or holds. Setup picks the base; VUs derive their users from it.
 */
import { sleep } from 'k6'
import exec from 'k6/execution'
import { THINK_SECONDS } from './config.js'

/** Users per second of start time: a run uses fewer ids than this. */
const RANGE = 1000000

/** The first user id of this run (setup calls it once and hands it to every VU). */
export function runUserBase() {
  const fixed = Number(__ENV.USER_BASE)
  if (Number.isSafeInteger(fixed) && fixed > 0) return fixed
  return Math.floor(Date.now() / 1000) * RANGE
}

/** The user this VU plays for the whole run (VU ids start at 1). */
export const vuUser = (/** @type {number} */ base) => base + exec.vu.idInTest

/** A new user for every iteration: a stream of arrivals rather than a fixed crowd. */
export const iterationUser = (/** @type {number} */ base) => base + 1 + exec.scenario.iterationInTest

/** The user that setup and teardown act as (to read seat lists and check the books). */
export const inspectorUser = (/** @type {number} */ base) => base

/**
 * A user's pause between two actions (1–3 s by default; THINK_SECONDS replaces every pause). Not
 * scaled: it sets the request mix.
 */
export function think(min = 1, max = 3) {
  const range = THINK_SECONDS || { min: min, max: max }
  sleep(range.min + Math.random() * (range.max - range.min))
}
