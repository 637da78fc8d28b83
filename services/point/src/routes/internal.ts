import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { responses } from '@stagepass/kit'
import type { PointOperations } from '../operations.js'
import { LedgerEntry, RefundBody, UseBody } from '../schemas.js'

/**
 * Point's operations for other contexts (booking's payment saga) over HTTP, in split mode. Never
 * routed by the gateway; in the monolith they are not registered and booking is handed the same
 * operations in-process, so validation, metrics and refusals are the same in both modes.
 */
export const internalRoutes: FastifyPluginAsyncTypebox<{ operations: PointOperations }> = async (
  fastify,
  { operations },
) => {
  fastify.post(
    '/internal/points/use',
    { schema: { body: UseBody, response: responses(LedgerEntry) } },
    async (request) => ({ data: await operations.use(request.body, request.log) }),
  )

  fastify.post(
    '/internal/points/refund',
    { schema: { body: RefundBody, response: responses(LedgerEntry) } },
    async (request) => ({ data: await operations.refund(request.body, request.log) }),
  )
}
