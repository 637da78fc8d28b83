import { ApiError } from '@stagepass/client'
import { type Action, notify } from './dom.js'
import { go } from './navigation.js'
import { saveSession } from './session.js'

/** Queue-token refusals: the user's time in the store is over (or never began): back to the line. */
const BACK_TO_LINE: Record<string, string> = {
  TOKEN_EXPIRED: 'Your time to shop ran out.',
  TOKEN_REVOKED: 'Your visit ended after your payment.',
  TOKEN_NOT_ACTIVE: 'It is not your turn yet.',
  TOKEN_INVALID: 'Your pass is not valid any more.',
  TOKEN_MISSING: 'You need a place in line first.',
}

/**
 * Tells the user what went wrong and how to go on. `retry` repeats what failed; refusals that only a
 * screen can answer (a seat taken, too few points) are handled there before this.
 */
export function explain(err: unknown, retry?: () => void) {
  if (!(err instanceof ApiError)) {
    notify(`Something went wrong: ${(err as Error).message}`, retry ? [{ label: 'Try again', run: retry }] : [])
    return
  }
  const lineMessage = BACK_TO_LINE[err.code]
  if (lineMessage) {
    saveSession({ queueToken: undefined })
    go.line(`${lineMessage} You are back in the line.`)
    return
  }
  const again: Action[] = retry ? [{ label: 'Try again', run: retry }] : []
  if (err.code.startsWith('USER_TOKEN') || err.code === 'USER_MISMATCH') {
    notify('Your sign-in is no longer valid. Please sign in again.', [{ label: 'Sign in', run: () => go.who() }])
  } else if (err.status === 429) {
    const wait = err.retryAfterSeconds ?? 10
    notify(`Too many requests. Please wait ${wait} seconds and try again.`, again)
  } else if (err.status === 0 || err.status >= 500) {
    notify('The service is unavailable at the moment. Your place and your hold are kept; try again shortly.', again)
  } else {
    notify(err.message, again)
  }
}
