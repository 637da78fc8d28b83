import createError from '@fastify/error'

/**
 * The contract between booking and the point context, whatever the topology. Point's ledger throws
 * these errors; booking's HTTP client rebuilds the same ones from point's answers
 * (`pointRefusalFromReply`), and in the monolith they reach booking as thrown. One list, so both
 * modes answer the payer alike for every refusal.
 */
export const InsufficientPointsError = createError('INSUFFICIENT_POINTS', 'user %s does not have %s points', 409)
export const ReferenceConflictError = createError(
  'REFERENCE_CONFLICT',
  'reference %s was already used for a different operation',
  409,
)
export const ReferenceVoidedError = createError(
  'REFERENCE_VOIDED',
  'reference %s was refunded before any use was made with it and can no longer be used',
  409,
)
export const PointUseNotFoundError = createError(
  'POINT_USE_NOT_FOUND',
  'no point use with reference %s; the reference is void, a later use with it is refused',
  404,
)
/**
 * Point refused the call itself as malformed (its schema): a defect of the caller, never of the
 * payer, so it is a logged 500 for them.
 */
export const PointRequestInvalidError = createError('POINT_REQUEST_INVALID', 'point refused the call: %s', 500)

/** What a `use` or a `refund` names; the refusals are rebuilt from it, as the ledger builds them. */
export interface PointCall {
  userId?: number
  amount?: number
  reference: string
}

/** Every refusal of point's `use` and `refund`: its code, status and the error booking throws. */
const REFUSALS = new Map<string, { status: number; error: (call: PointCall, message: string) => Error }>([
  ['INSUFFICIENT_POINTS', { status: 409, error: (c) => new InsufficientPointsError(c.userId, c.amount) }],
  ['REFERENCE_CONFLICT', { status: 409, error: (c) => new ReferenceConflictError(c.reference) }],
  ['REFERENCE_VOIDED', { status: 409, error: (c) => new ReferenceVoidedError(c.reference) }],
  ['POINT_USE_NOT_FOUND', { status: 404, error: (c) => new PointUseNotFoundError(c.reference) }],
  ['VALIDATION_ERROR', { status: 400, error: (_c, message) => new PointRequestInvalidError(message) }],
])

/** The error of a refusal point answered over HTTP, as the ledger threw it; undefined for any other answer. */
export function pointRefusalFromReply(
  call: PointCall,
  status: number,
  reply: { code?: unknown; message?: unknown },
): Error | undefined {
  const refusal = typeof reply.code === 'string' ? REFUSALS.get(reply.code) : undefined
  if (!refusal || refusal.status !== status) return undefined
  return refusal.error(call, typeof reply.message === 'string' ? reply.message : '')
}
