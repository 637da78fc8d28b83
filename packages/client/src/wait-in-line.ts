import { ApiError, dataOf } from './api-error.js'
import type { StagepassClient } from './client.js'

import { solveChallenge } from './proof-of-work.js'

/** A place in line or an admission, as `POST /queue/tokens` and the status poll answer it. */
export type QueueTicket = Awaited<ReturnType<typeof joinLine>>

export interface WaitInLineOptions {
  userId: number
  /** Stops the wait: the promise rejects with the signal's reason. */
  signal?: AbortSignal
  /** Every ticket seen, the first one included: for showing the place and the estimated wait. */
  onTicket?: (ticket: QueueTicket) => void
  /** The place was lost (not polled for too long, or the line was reset) and a new one was taken. */
  onRejoin?: (ticket: QueueTicket) => void
  /** Shortest pause between two polls (default: the server's `pollAfterSeconds`, else 1 s). */
  minPollIntervalMs?: number
  /** Longest pause between two polls (default: the server's `pollAfterSeconds`, else 5 s). */
  maxPollIntervalMs?: number
}

/** Without the server's suggestion: users who have not polled for QUEUE_ABANDON_AFTER_SECONDS (120 s by default) lose their place. */
const DEFAULT_MAX_POLL_INTERVAL_MS = 5000

/**
 * How long to wait before polling a WAITING ticket again: the server's `pollAfterSeconds` when the
 * ticket carries it (within the bounds given, if any), otherwise a tenth of the estimated wait
 * between `minPollIntervalMs` (1 s) and `maxPollIntervalMs` (5 s).
 */
export function pollDelayMs(
  ticket: Pick<QueueTicket, 'remainingTime' | 'pollAfterSeconds'>,
  { minPollIntervalMs, maxPollIntervalMs }: Pick<WaitInLineOptions, 'minPollIntervalMs' | 'maxPollIntervalMs'> = {},
): number {
  const suggested = ticket.pollAfterSeconds
  if (suggested !== undefined) {
    return Math.min(maxPollIntervalMs ?? Number.POSITIVE_INFINITY, Math.max(minPollIntervalMs ?? 0, suggested * 1000))
  }
  const estimateMs = Math.ceil(ticket.remainingTime / 10) * 1000
  return Math.min(maxPollIntervalMs ?? DEFAULT_MAX_POLL_INTERVAL_MS, Math.max(minPollIntervalMs ?? 1000, estimateMs))
}

/**
 * Joins the line (solving the proof-of-work challenge when the server asks for one), then polls the
 * place until it is ACTIVE and returns that ticket (its `token` is the queue token). Between polls it
 * waits as the server suggests: `Retry-After` when a poll was refused for load (429, 503), otherwise
 * the ticket's `pollAfterSeconds` (see `pollDelayMs`). A place that is gone (404
 * TOKEN_NOT_FOUND) is taken again. Rejects with an ApiError on a refusal it cannot wait out (400,
 * 401, 403), and with the signal's reason when aborted.
 */
export async function waitInLine(client: StagepassClient, options: WaitInLineOptions): Promise<QueueTicket> {
  const { userId, signal, onTicket, onRejoin } = options
  let ticket = await retryWhileBusy(() => joinLine(client, userId, signal), signal)
  onTicket?.(ticket)
  while (ticket.status !== 'ACTIVE') {
    await pause(pollDelayMs(ticket, options), signal)
    try {
      ticket = await retryWhileBusy(() => pollPlace(client, userId, signal), signal)
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'TOKEN_NOT_FOUND')) throw err
      ticket = await retryWhileBusy(() => joinLine(client, userId, signal), signal)
      onRejoin?.(ticket)
    }
    onTicket?.(ticket)
  }
  return ticket
}

/** Takes (or gets back) the user's place; a new place may first need a solved challenge. */
export async function joinLine(client: StagepassClient, userId: number, signal?: AbortSignal) {
  try {
    return await dataOf(client.POST('/queue/tokens', { body: { userId }, signal }))
  } catch (err) {
    const code = err instanceof ApiError ? err.code : ''
    if (!['PROOF_REQUIRED', 'PROOF_TOO_EASY', 'PROOF_EXPIRED', 'PROOF_REPLAYED'].includes(code)) throw err
  }
  const { challenge, difficulty } = await dataOf(client.GET('/queue/challenge', { signal }))
  const nonce = await solveChallenge(challenge, difficulty, signal)
  return dataOf(client.POST('/queue/tokens', { body: { userId, proof: { challenge, nonce } }, signal }))
}

function pollPlace(client: StagepassClient, userId: number, signal?: AbortSignal) {
  return dataOf(client.GET('/queue/tokens/status/{userId}', { params: { path: { userId } }, signal }))
}

/** Repeats a call the server refused for load (429, 503, or no answer), after the wait it asked for. */
async function retryWhileBusy<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (;;) {
    try {
      return await call()
    } catch (err) {
      if (!(err instanceof ApiError) || ![0, 429, 502, 503, 504].includes(err.status)) throw err
      await pause((err.retryAfterSeconds ?? 1) * 1000, signal)
    }
  }
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
