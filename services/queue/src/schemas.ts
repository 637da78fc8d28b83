import { Type } from '@sinclair/typebox'
import { UserId } from '@stagepass/kit'

export const JoinBody = Type.Object({ userId: UserId }, { additionalProperties: false })
export const UserParams = Type.Object({ userId: UserId }, { additionalProperties: false })

export const TokenStatus = Type.Union([Type.Literal('WAITING'), Type.Literal('ACTIVE')])

export const QueueTicket = Type.Object({
  userId: Type.Integer(),
  token: Type.String(),
  status: TokenStatus,
  /** Users ahead; 0 once ACTIVE. */
  queueOrder: Type.Integer(),
  /** WAITING: estimated seconds until admission; ACTIVE: seconds until the token expires. */
  remainingTime: Type.Integer(),
  estimatedWaitSeconds: Type.Optional(Type.Integer()),
  expiresAt: Type.Optional(Type.String()),
})

export const AdminHeaders = Type.Object({ 'x-admin-key': Type.Optional(Type.String()) })

export const SettingsChange = Type.Object(
  {
    admitPerSecond: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    maxActive: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
    paused: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const QueueStats = Type.Object({
  waiting: Type.Integer(),
  active: Type.Integer(),
  admittedPerSecond: Type.Number(),
  oldestWaitSeconds: Type.Integer(),
  admitPerSecond: Type.Integer(),
  maxActive: Type.Integer(),
  paused: Type.Boolean(),
  activeTtlSeconds: Type.Integer(),
  abandonAfterSeconds: Type.Integer(),
})
