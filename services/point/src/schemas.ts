import { Type } from '@sinclair/typebox'
import { UserId } from '@stagepass/kit'

const Amount = Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'won' })
const Reference = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9:_.\\-]+$' })

export const UserParams = Type.Object({ userId: UserId }, { additionalProperties: false })

export const ChargeBody = Type.Object({ userId: UserId, amount: Amount }, { additionalProperties: false })

export const HistoryQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
    cursor: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$' })),
  },
  { additionalProperties: false },
)

export const Balance = Type.Object({ userId: Type.Integer(), currentPoints: Type.Integer() })

const HistoryType = Type.Union([Type.Literal('CHARGE'), Type.Literal('USE'), Type.Literal('REFUND')])

export const HistoryPage = Type.Object({
  userId: Type.Integer(),
  history: Type.Array(
    Type.Object({
      id: Type.Integer(),
      type: HistoryType,
      amount: Type.Integer(),
      balanceAfter: Type.Integer(),
      reference: Type.Union([Type.String(), Type.Null()]),
      createdAt: Type.String(),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
})

export const UseBody = Type.Object(
  { userId: UserId, amount: Amount, reference: Reference },
  { additionalProperties: false },
)
export const RefundBody = Type.Object({ reference: Reference }, { additionalProperties: false })

export const LedgerEntry = Type.Object({
  historyId: Type.Integer(),
  userId: Type.Integer(),
  type: HistoryType,
  amount: Type.Integer(),
  currentPoints: Type.Integer(),
  reference: Type.String(),
})
