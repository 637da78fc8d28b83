import { DATABASE_REFUSALS, INVALID_BODY, INVALID_INPUT, NOT_SIGNED_IN_USER, responses } from '@stagepass/kit'
import { Balance, ChargeBody, HistoryPage, HistoryQuery, UserParams } from './schemas.js'

/**
 * The point context's public routes (see `responses` in the kit): its routes are declared from
 * these, the gateway's OpenAPI document is generated from them.
 */
export const pointPublicApi = {
  charge: {
    method: 'PUT',
    url: '/points/charge',
    schema: {
      operationId: 'chargePoints',
      tags: ['points'],
      summary: 'Charge points to a wallet',
      body: ChargeBody,
      response: responses(Balance, INVALID_BODY, NOT_SIGNED_IN_USER, DATABASE_REFUSALS, {
        409: ['DAILY_CHARGE_LIMIT', 'BALANCE_LIMIT'],
      }),
    },
  },
  balance: {
    method: 'GET',
    url: '/points/current/:userId',
    schema: {
      operationId: 'getPointBalance',
      tags: ['points'],
      summary: "A user's current points (0 for a new user)",
      params: UserParams,
      response: responses(Balance, INVALID_INPUT, NOT_SIGNED_IN_USER, DATABASE_REFUSALS),
    },
  },
  history: {
    method: 'GET',
    url: '/points/history/:userId',
    schema: {
      operationId: 'listPointHistory',
      tags: ['points'],
      summary: "A user's charges, uses and refunds, newest first, a page at a time",
      params: UserParams,
      querystring: HistoryQuery,
      response: responses(HistoryPage, INVALID_INPUT, NOT_SIGNED_IN_USER, DATABASE_REFUSALS),
    },
  },
} as const
