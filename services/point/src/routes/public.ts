import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { assertSignedInUser, signedInUserOf } from '@stagepass/kit'
import type { PointSettings } from '../config.js'
import { chargePoints, getBalance, listHistory } from '../ledger.js'
import { pointAmount, pointOperations } from '../metrics.js'
import { pointPublicApi } from '../public-api.js'

export interface PublicRoutesOptions {
  settings: PointSettings
}

/**
 * Charging and reading balances. With user tokens on, the gateway names the signed-in user and a
 * `userId` that is not theirs is refused (403); their charges are capped per 24 hours.
 */
export const publicRoutes: FastifyPluginAsyncTypebox<PublicRoutesOptions> = async (fastify, { settings }) => {
  fastify.route({
    ...pointPublicApi.charge,
    handler: async (request) => {
      const { userId, amount } = request.body
      assertSignedInUser(request, userId)
      const dailyLimit = signedInUserOf(request) === undefined ? undefined : settings.POINT_DAILY_CHARGE_LIMIT
      const balance = await chargePoints(fastify.db.point, userId, amount, dailyLimit)
      pointOperations.inc({ type: 'CHARGE' })
      pointAmount.inc({ type: 'CHARGE' }, amount)
      request.log.info({ userId, amount }, 'points charged')
      return { data: balance }
    },
  })

  fastify.route({
    ...pointPublicApi.balance,
    handler: async (request) => {
      assertSignedInUser(request, request.params.userId)
      return { data: await getBalance(fastify.db.point, request.params.userId) }
    },
  })

  fastify.route({
    ...pointPublicApi.history,
    handler: async (request) => {
      assertSignedInUser(request, request.params.userId)
      const { limit, cursor } = request.query
      return { data: await listHistory(fastify.db.point, { userId: request.params.userId, limit, cursor }) }
    },
  })
}
