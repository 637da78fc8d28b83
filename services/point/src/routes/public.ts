import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { responses } from '@stagepass/kit'
import { chargePoints, getBalance, listHistory } from '../ledger.js'
import { pointAmount, pointOperations } from '../metrics.js'
import { Balance, ChargeBody, HistoryPage, HistoryQuery, UserParams } from '../schemas.js'

export const publicRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.put('/points/charge', { schema: { body: ChargeBody, response: responses(Balance) } }, async (request) => {
    const { userId, amount } = request.body
    const balance = await chargePoints(fastify.db, userId, amount)
    pointOperations.inc({ type: 'CHARGE' })
    pointAmount.inc({ type: 'CHARGE' }, amount)
    request.log.info({ userId, amount }, 'points charged')
    return { data: balance }
  })

  fastify.get(
    '/points/current/:userId',
    { schema: { params: UserParams, response: responses(Balance) } },
    async (request) => ({ data: await getBalance(fastify.db, request.params.userId) }),
  )

  fastify.get(
    '/points/history/:userId',
    { schema: { params: UserParams, querystring: HistoryQuery, response: responses(HistoryPage) } },
    async (request) => {
      const { limit, cursor } = request.query
      return { data: await listHistory(fastify.db, { userId: request.params.userId, limit, cursor }) }
    },
  )
}
