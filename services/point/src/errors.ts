import createError from '@fastify/error'

// The refusals of `use` and `refund` are the contract with booking, listed once in the kit
// (packages/kit/src/point-contract.ts); these are the public routes' own.
export const DailyChargeLimitError = createError(
  'DAILY_CHARGE_LIMIT',
  'charging %s would exceed the limit of %s won charged in 24 hours (%s left)',
  409,
)
export const BalanceLimitError = createError('BALANCE_LIMIT', 'charging %s would exceed the balance limit', 409)
