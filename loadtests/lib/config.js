// @ts-check
/**
 * What every scenario reads from its environment (`k6 run -e NAME=value …`, or the shell's variables).
 * The same file runs as a half-minute smoke on a laptop or as the full profile on a load rig:
 * VUS_SCALE multiplies user counts, TIME_SCALE multiplies stage durations.
 */

/**
 * @param {string} name
 * @param {number} fallback
 */
function positiveNumber(name, fallback) {
  const raw = __ENV[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`)
  return value
}

/** The gateway (or the monolith): every request goes through the public port. */
export const BASE_URL = (__ENV.BASE_URL || 'http://localhost:8080').replace(/\/+$/, '')
/**
 * Several gateways (`BASE_URLS=http://a:8080,http://b:8081`; BASE_URL alone otherwise): each VU
 * sends to one, as a load balancer would spread clients, and moves to the next when its own is gone
 * (api.js).
 */
export const BASE_URLS = (__ENV.BASE_URLS || BASE_URL)
  .split(',')
  .map((url) => url.trim().replace(/\/+$/, ''))
  .filter((url) => url !== '')
export const VUS_SCALE = positiveNumber('VUS_SCALE', 1)
export const TIME_SCALE = positiveNumber('TIME_SCALE', 1)

/** A user count of the full profile, scaled (never below one user). */
export const users = (/** @type {number} */ n) => Math.max(1, Math.round(n * VUS_SCALE))

/** Seconds of the full profile, scaled (never below one second). */
export const seconds = (/** @type {number} */ s) => Math.max(1, Math.round(s * TIME_SCALE))

/** A k6 duration string for seconds of the full profile, scaled. */
export const duration = (/** @type {number} */ s) => `${seconds(s)}s`

/**
 * Every user's pause between two actions, in seconds, when set: `THINK_SECONDS=0-1` replaces each
 * scenario's own pace (1–3 s mostly) for a stress profile, e.g. users who join the line again and again.
 */
export const THINK_SECONDS = secondsRange('THINK_SECONDS')

/**
 * @param {string} name
 * @returns {{ min: number, max: number } | undefined}
 */
function secondsRange(name) {
  const raw = __ENV[name]
  if (raw === undefined || raw === '') return undefined
  const match = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(raw)
  const min = match ? Number(match[1]) : Number.NaN
  const max = match ? Number(match[2]) : Number.NaN
  if (!(min <= max)) throw new Error(`${name} must be a range of seconds like 0-1, got "${raw}"`)
  return { min: min, max: max }
}

/**
 * Optional: the queue's admin address (its own port, never the gateway) and key. When both are set,
 * setup raises admission so the run measures the API rather than the waiting room's pace.
 */
export const QUEUE_ADMIN_URL = (__ENV.QUEUE_ADMIN_URL || '').replace(/\/+$/, '')
export const QUEUE_ADMIN_KEY = __ENV.QUEUE_ADMIN_KEY || ''

/** Longest a user waits in line for an ACTIVE token before giving up (seconds, not scaled). */
export const QUEUE_WAIT_LIMIT = positiveNumber('QUEUE_WAIT_LIMIT', 900)

/** A concert option (dated performance) to use instead of the first one with enough free seats. */
export const CONCERT_OPTION_ID = __ENV.CONCERT_OPTION_ID ? Number(__ENV.CONCERT_OPTION_ID) : undefined

/** How long a seat hold lasts on the system under test (HOLD_TTL_SECONDS there; 5 minutes by default). */
export const HOLD_SECONDS = positiveNumber('HOLD_SECONDS', 300)

/**
 * User tokens, as the gateway's USER_AUTH: `off` (the default) sends what the original contract
 * asks for; `jwt` signs every user a token of its own (HS256, `sub` = userId) and sends it on
 * `/points` and `/queue` (Authorization) and on the guarded routes (X-User-Token, beside the queue
 * token). The secret, issuer and audience must be the system's: same names, same defaults.
 */
export const USER_AUTH = oneOf('USER_AUTH', ['off', 'jwt'], 'off')
export const USER_TOKEN_SECRET = __ENV.USER_TOKEN_SECRET || 'stagepass-development-user-token-secret'
export const USER_TOKEN_ISSUER = __ENV.USER_TOKEN_ISSUER || 'stagepass-dev'
export const USER_TOKEN_AUDIENCE = __ENV.USER_TOKEN_AUDIENCE || 'stagepass'

/**
 * @template {string} T
 * @param {string} name
 * @param {T[]} allowed
 * @param {T} fallback
 * @returns {T}
 */
function oneOf(name, allowed, fallback) {
  const raw = __ENV[name]
  if (raw === undefined || raw === '') return fallback
  const value = /** @type {T} */ (raw)
  if (allowed.indexOf(value) < 0) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`)
  return value
}
