import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { responses } from '@stagepass/kit'
import { refundPoints, usePoints } from '../ledger.js'
import { pointAmount, pointOperations, pointRefusals } from '../metrics.js'
import { LedgerEntry, RefundBody, UseBody } from '../schemas.js'

/**
 * Operations for other contexts (booking's payment saga). Never routed by the gateway; in the
 * monolith they are not registered at all and callers use the ledger in-process.
 */
export const internalRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/internal/points/use',
    { schema: { body: UseBody, response: responses(LedgerEntry) } },
    async (request) => {
      try {
        const entry = await usePoints(fastify.db, request.body)
        pointOperations.inc({ type: 'USE' })
        pointAmount.inc({ type: 'USE' }, entry.amount)
        request.log.info({ userId: entry.userId, amount: entry.amount, reference: entry.reference }, 'points used')
        return { data: entry }
      } catch (err) {
        const code = (err as { code?: string }).code
        if (code === 'INSUFFICIENT_POINTS' || code === 'REFERENCE_CONFLICT' || code === 'REFERENCE_VOIDED') {
          pointRefusals.inc({ code })
        }
        throw err
      }
    },
  )

  fastify.post(
    '/internal/points/refund',
    { schema: { body: RefundBody, response: responses(LedgerEntry) } },
    async (request) => {
      const entry = await refundPoints(fastify.db, request.body)
      pointOperations.inc({ type: 'REFUND' })
      pointAmount.inc({ type: 'REFUND' }, entry.amount)
      request.log.info({ userId: entry.userId, amount: entry.amount, reference: entry.reference }, 'points refunded')
      return { data: entry }
    },
  )
}
