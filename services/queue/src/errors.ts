import createError from '@fastify/error'

export const TokenNotFoundError = createError('TOKEN_NOT_FOUND', 'user %s has no queue token', 404)
export const AdminUnauthorizedError = createError('ADMIN_UNAUTHORIZED', 'a valid x-admin-key header is required', 401)

// Proof of work on joining (see docs/queue.md for what a client does about each).
export const ProofRequiredError = createError(
  'PROOF_REQUIRED',
  'joining the line takes a proof of work at difficulty %s: GET /queue/challenge, solve it, send it as proof',
  428,
)
export const ProofTooEasyError = createError(
  'PROOF_TOO_EASY',
  'the challenge was issued at difficulty %s, below the current %s: GET /queue/challenge again',
  428,
)
export const ProofInvalidError = createError('PROOF_INVALID', 'the proof of work is not valid: %s', 400)
export const ProofExpiredError = createError(
  'PROOF_EXPIRED',
  'the proof-of-work challenge has expired: GET /queue/challenge again',
  410,
)
export const ProofReplayedError = createError('PROOF_REPLAYED', 'this proof of work has already been used', 409)

export const PreQueueNotEmptyError = createError(
  'PRE_QUEUE_NOT_EMPTY',
  '%s users wait in the pre-queue for this opening: move opensAt instead of cancelling it',
  409,
)

const QueueFull = createError('QUEUE_FULL', 'the waiting line is full (%s places): try again in %s seconds', 503)

/** A new place refused because the line is at its capacity; the answer carries Retry-After. */
export class QueueFullError extends QueueFull {
  retryAfterSeconds: number
  constructor(capacity: number, retryAfterSeconds: number) {
    super(capacity, retryAfterSeconds)
    this.retryAfterSeconds = retryAfterSeconds
  }
}
