// @ts-check
/** What every scenario's setup does: a user range for the run, admission, and a token to look around. */
import { fail } from 'k6'
import { admissionStats, changeAdmission, dataOf } from './api.js'
import { QUEUE_ADMIN_KEY, QUEUE_ADMIN_URL } from './config.js'
import { waitInLine } from './queue.js'
import { inspectorUser, runUserBase } from './users.js'

/**
 * @typedef {object} RunData
 * @property {number} userBase first user id of this run
 * @property {import('./api.js').Holder} [inspector] the inspector user's ACTIVE token (setup and teardown)
 * @property {import('./catalog.js').Performance} [performance] the performance a sale scenario sells
 */

/**
 * Makes room for the run's users when QUEUE_ADMIN_URL and QUEUE_ADMIN_KEY are given (the queue's
 * own port): up to `users` more may be ACTIVE at once than are now, so the run measures the API
 * behind the waiting room rather than the room's cap. Admission is only ever raised, never lowered
 * under users of another run.
 * @param {{ users: number }} room
 */
export function makeRoomFor({ users }) {
  if (!QUEUE_ADMIN_URL || !QUEUE_ADMIN_KEY) return
  const stats = admissionStats(QUEUE_ADMIN_URL, QUEUE_ADMIN_KEY)
  /** @type {{ active: number, maxActive: number } | undefined} */
  const now = dataOf(stats)
  if (!now) return fail(`GET ${QUEUE_ADMIN_URL}/admin/queue answered ${stats.status}: ${stats.body}`)
  const maxActive = Math.max(now.maxActive, now.active + users)
  if (maxActive === now.maxActive) return
  const res = changeAdmission(QUEUE_ADMIN_URL, QUEUE_ADMIN_KEY, { maxActive })
  if (res.status !== 200) fail(`PATCH ${QUEUE_ADMIN_URL}/admin/queue answered ${res.status}: ${res.body}`)
}

/**
 * A new run: its user range, and — for scenarios behind the waiting room — an ACTIVE token for
 * the inspector user.
 * @param {{ inspector?: boolean }} [options]
 * @returns {RunData}
 */
export function startRun({ inspector = false } = {}) {
  const userBase = runUserBase()
  if (!inspector) return { userBase }
  const pass = waitInLine(inspectorUser(userBase), { limitSeconds: 120 })
  if (!pass) return fail('setup waited 120 s in line without an ACTIVE token: is admission paused?')
  return { userBase, inspector: { userId: pass.userId, token: pass.token } }
}
