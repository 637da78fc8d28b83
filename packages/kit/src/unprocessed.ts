import { errorCode } from './error-code.js'

/**
 * Set on an answer given before any work was done (a draining server's `503 SHUTTING_DOWN`): the
 * request may be sent again elsewhere, whatever its method. The split gateway and booking's point
 * client send such a request to another instance; a client that sees it may retry on another gateway.
 */
export const UNPROCESSED_HEADER = 'x-unprocessed'

/**
 * Failures before any byte of the request left: a refused or timed-out connect, or a pool that was
 * closed when the request came to it (undici throws that at dispatch; a balanced pool can still pick an
 * instance's pool that is closing after the gateway took it out of rotation).
 */
const NEVER_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED'])
/** A connection cut before the answer came (an instance killed, or stopping): the call may have been served. */
const CUT_OFF = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'])

/**
 * True when a call to one instance did nothing there: its connection was refused or timed out
 * connecting (an instance that died or is restarting), or the instance answered that it did not
 * process it. Another instance can take such a call, whatever its method.
 */
export function wasUnprocessed(outcome: {
  err?: unknown
  statusCode?: number
  headers?: Record<string, unknown>
}): boolean {
  if (outcome.statusCode !== undefined) return outcome.statusCode === 503 && !!outcome.headers?.[UNPROCESSED_HEADER]
  return NEVER_SENT.has(errorCode(outcome.err))
}

/** True when the call's connection was cut before its answer: only a call that is safe to make twice may be sent again. */
export function wasCutOff(err: unknown): boolean {
  return CUT_OFF.has(errorCode(err))
}

/**
 * How many times a call that did nothing is sent again, with `instances` instances to choose from:
 * three per instance (a balanced pool lowers a failing instance's weight, it does not drop it, so it
 * may be picked again), none with one. Each try is a refused connect or a refusal, so even with every
 * instance down the answer comes fast.
 */
export function replaysFor(instances: number): number {
  return instances > 1 ? 3 * instances : 0
}

/**
 * How long to wait before replay number `replay` (from 0): 1 ms, doubling to 100 ms. A pool sends work
 * to any instance with a free connection, so while the healthy instances are all busy the next pick is
 * the one that refused; the pause lets one of them free a connection. Nine replays wait 0.3 s in all.
 */
export function replayDelayMs(replay: number): number {
  return Math.min(100, 2 ** replay)
}
