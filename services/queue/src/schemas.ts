import { Type } from '@sinclair/typebox'
import { UserId } from '@stagepass/kit'
import { MAX_CHALLENGE_LENGTH, MAX_DIFFICULTY } from './proof-of-work.js'

/** A solved proof-of-work challenge: the challenge as issued and the nonce found for it. */
const Proof = Type.Object(
  {
    challenge: Type.String({ minLength: 1, maxLength: MAX_CHALLENGE_LENGTH }),
    nonce: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  },
  { additionalProperties: false },
)

export const JoinBody = Type.Object({ userId: UserId, proof: Type.Optional(Proof) }, { additionalProperties: false })

export const Challenge = Type.Object({
  challenge: Type.String(),
  /** Leading zero bits SHA-256(challenge + ':' + nonce) must have. */
  difficulty: Type.Integer(),
  expiresAt: Type.String(),
})
export const UserParams = Type.Object({ userId: UserId }, { additionalProperties: false })

const TokenStatus = Type.Union([Type.Literal('WAITING'), Type.Literal('ACTIVE')])

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
  /** In the pre-queue: the opening the place waits for (then remainingTime counts down to it). */
  opensAt: Type.Optional(Type.String()),
  preQueue: Type.Optional(Type.Boolean()),
  /**
   * WAITING only: seconds the client should wait before polling again, chosen by the server from the
   * place, the admission rate and the abandonment delay (docs/queue.md, "Poll interval").
   */
  pollAfterSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
})

/** An ISO-8601 UTC instant as the API writes them (`2026-12-24T19:00:00.000Z`). */
const UtcInstant = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?Z$',
})

export const SettingsChange = Type.Object(
  {
    admitPerSecond: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    maxActive: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
    paused: Type.Optional(Type.Boolean()),
    /** Most users in line, pre-queue included; lowering it below the line refuses joins, drops no one. */
    capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000_000 })),
    /** Proof-of-work difficulty for new places (leading zero bits); 0 turns it off. */
    powDifficulty: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_DIFFICULTY })),
    /** The opening: users who join before it are drawn in random order at it; null cancels it. */
    opensAt: Type.Optional(Type.Union([UtcInstant, Type.Null()])),
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
  powDifficulty: Type.Integer(),
  opensAt: Type.Union([Type.String(), Type.Null()]),
  preQueue: Type.Integer(),
  lastDraw: Type.Union([Type.Object({ opensAt: Type.String(), users: Type.Integer() }), Type.Null()]),
  /** Most users in line (waiting + preQueue) before new joins are refused 503 QUEUE_FULL. */
  capacity: Type.Integer(),
  /** The line is at its capacity: new joins are refused, users in line keep their places. */
  full: Type.Boolean(),
})
