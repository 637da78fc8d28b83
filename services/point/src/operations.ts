import type { Static } from '@sinclair/typebox'
import type { PointDb } from '@stagepass/db'
import { bodyCheck, PointRequestInvalidError } from '@stagepass/kit'
import type { FastifyBaseLogger } from 'fastify'
import { type LedgerEntry, ledgerBatches, refundPoints, usePoints } from './ledger.js'
import { pointAmount, pointOperations, pointRefusals } from './metrics.js'
import { RefundBody, UseBody } from './schemas.js'

export type PointUseInput = Static<typeof UseBody>
export type PointRefundInput = Static<typeof RefundBody>

const checkUse = bodyCheck(UseBody)
const checkRefund = bodyCheck(RefundBody)

// The refusals of a use worth a dashboard line; anything else is a failure, logged where it is answered.
const COUNTED_REFUSALS = new Set(['INSUFFICIENT_POINTS', 'REFERENCE_CONFLICT', 'REFERENCE_VOIDED'])

function checked<T>(check: (body: unknown) => string | undefined, input: T): T {
  const problem = check(input)
  if (problem !== undefined) throw new PointRequestInvalidError(problem)
  return input
}

/**
 * What other contexts may ask of the point context (booking's payment saga), in one place whatever
 * the topology: its internal routes call these in split mode, and the monolith hands them to booking.
 * Each checks its input against the routes' schemas, moves points through the ledger, counts the
 * write once (a replay moves nothing and is not counted) and throws the kit's contract errors.
 * `log` is the caller's (a route passes its request's).
 */
export function createPointOperations(db: PointDb, baseLog: FastifyBaseLogger) {
  const ledger = ledgerBatches(db)
  return {
    async use(input: PointUseInput, log: FastifyBaseLogger = baseLog): Promise<LedgerEntry> {
      const use = checked(checkUse, input)
      try {
        const { entry, replayed } = await usePoints(db, ledger, use)
        if (!replayed) {
          pointOperations.inc({ type: 'USE' })
          pointAmount.inc({ type: 'USE' }, entry.amount)
          log.info({ userId: entry.userId, amount: entry.amount, reference: entry.reference }, 'points used')
        }
        return entry
      } catch (err) {
        const code = (err as { code?: unknown }).code
        if (typeof code === 'string' && COUNTED_REFUSALS.has(code)) pointRefusals.inc({ code })
        throw err
      }
    },

    async refund(input: PointRefundInput, log: FastifyBaseLogger = baseLog): Promise<LedgerEntry> {
      const { entry, replayed } = await refundPoints(db, ledger, checked(checkRefund, input))
      if (!replayed) {
        pointOperations.inc({ type: 'REFUND' })
        pointAmount.inc({ type: 'REFUND' }, entry.amount)
        log.info({ userId: entry.userId, amount: entry.amount, reference: entry.reference }, 'points refunded')
      }
      return entry
    },
  }
}

export type PointOperations = ReturnType<typeof createPointOperations>
