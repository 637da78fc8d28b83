import createError from '@fastify/error'

export const InsufficientPointsError = createError('INSUFFICIENT_POINTS', 'user %s does not have %s points', 409)
export const ReferenceConflictError = createError(
  'REFERENCE_CONFLICT',
  'reference %s was already used for a different operation',
  409,
)
export const PointUseNotFoundError = createError(
  'POINT_USE_NOT_FOUND',
  'no point use with reference %s; the reference is void, a later use with it is refused',
  404,
)
export const ReferenceVoidedError = createError(
  'REFERENCE_VOIDED',
  'reference %s was refunded before any use was made with it and can no longer be used',
  409,
)
export const DailyChargeLimitError = createError(
  'DAILY_CHARGE_LIMIT',
  'charging %s would exceed the limit of %s won charged in 24 hours (%s left)',
  409,
)
export const BalanceLimitError = createError('BALANCE_LIMIT', 'charging %s would exceed the balance limit', 409)
