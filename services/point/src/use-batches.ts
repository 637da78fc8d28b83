import { inTwoScripts, type PointDb, type Statement, type WriteResult } from '@stagepass/db'
import { batchPerTurn, InsufficientPointsError, orEachAlone, ReferenceVoidedError } from '@stagepass/kit'
import { sql } from 'kysely'
import type { LedgerEntry } from './ledger.js'

/*
 * The uses of points begun in one turn of the event loop, taken in one transaction of two round
 * trips where each use alone took two: a crowd paying at once commits once per turn, not once per
 * payment (docs/booking.md, "The payments of one turn, together"). Each use keeps its own
 * statements and their order, and its own outcome: taken, or refused with nothing of it left.
 */

/** Uses per transaction. */
const MAX_USES = 100

/** A use to take: `amount` from the user's balance, once per `reference`. */
export interface PointUse {
  userId: number
  amount: number
  reference: string
}

/** A use refused with nothing written: the balance did not cover it (`INSUFFICIENT_POINTS`). */
export type UseRefusal = InstanceType<typeof InsufficientPointsError>

/** Thrown to roll a batch back when one of its uses took points its reference no longer allows. */
class VoidedInBatch extends Error {}

/**
 * A use's statements, as a use alone has them: the balance taken if it covers the amount, answering
 * the balance left (`last_insert_id(balance - ?)`); the history row with that balance; then the
 * void looked for as a locking read. The use is written before the void is looked for, as a refund
 * writes the void before it looks for the use, so the two cannot both commit (ledger.ts).
 */
function useStatements(db: PointDb, { userId, amount, reference }: PointUse): Statement[] {
  return [
    sql`update point_wallet set balance = last_insert_id(balance - ${amount})
        where user_id = ${userId} and balance >= ${amount}`.compile(db),
    db
      .insertInto('point_history')
      .values({ user_id: userId, type: 'USE', amount, balance_after: sql`last_insert_id()`, reference })
      .compile(),
    db.selectFrom('point_void').select('reference').where('reference', '=', reference).forUpdate().compile(),
  ]
}

/**
 * Takes uses in one transaction of two round trips (`inTwoScripts`): first every use's statements,
 * in the order of user and reference, so two batches lock wallets in the same order; then the
 * history rows of the refused uses are deleted, with the commit. A use refused for the balance took
 * nothing, and its row goes. A use that took points although its reference was voided cannot be
 * undone alone (a later use of the same wallet in the batch was written with the balance after it):
 * the batch is rolled back and thrown, to go again use by use; a use alone is rolled back and refused.
 * A duplicate reference in the batch fails it on the unique key, the same way.
 */
export async function takeUses(db: PointDb, uses: readonly PointUse[]): Promise<Array<LedgerEntry | UseRefusal>> {
  const order = uses
    .map((_, i) => i)
    .sort((a, b) => {
      const [x, y] = [uses[a] as PointUse, uses[b] as PointUse]
      return x.userId - y.userId || (x.reference < y.reference ? -1 : x.reference > y.reference ? 1 : 0)
    })
  const inOrder = order.map((i) => uses[i] as PointUse)
  return inTwoScripts(
    db,
    inOrder.flatMap((use) => useStatements(db, use)),
    (answers) => {
      const outcomes = inOrder.map((use, k): LedgerEntry | UseRefusal => {
        const [taken, recorded, voids] = answers.slice(3 * k, 3 * k + 3) as [
          WriteResult,
          WriteResult,
          readonly unknown[],
        ]
        if (taken.affectedRows !== 1) return new InsufficientPointsError(use.userId, use.amount)
        if (voids.length > 0) {
          if (inOrder.length === 1) throw new ReferenceVoidedError(use.reference)
          throw new VoidedInBatch(use.reference)
        }
        return {
          historyId: recorded.insertId,
          userId: use.userId,
          type: 'USE',
          amount: use.amount,
          currentPoints: taken.insertId,
          reference: use.reference,
        }
      })
      const refusedRows = inOrder.flatMap((_, k) =>
        outcomes[k] instanceof Error ? [(answers[3 * k + 1] as WriteResult).insertId] : [],
      )
      return {
        statements:
          refusedRows.length === 0 ? [] : [db.deleteFrom('point_history').where('id', 'in', refusedRows).compile()],
        settle: () => {
          const answered = new Array<LedgerEntry | UseRefusal>(uses.length)
          for (const [k, i] of order.entries()) answered[i] = outcomes[k] as LedgerEntry | UseRefusal
          return answered
        },
      }
    },
  )
}

/** The uses of one turn, taken together; a batch that fails goes again use by use. */
export function useBatches(db: PointDb): (use: PointUse) => Promise<LedgerEntry | UseRefusal> {
  return batchPerTurn((uses) => orEachAlone(uses, (some) => takeUses(db, some)), { maxItems: MAX_USES })
}

export type UseBatches = ReturnType<typeof useBatches>
