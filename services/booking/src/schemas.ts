import { Type } from '@sinclair/typebox'
import { Id, UserId } from '@stagepass/kit'

export const ReserveBody = Type.Object(
  {
    seatId: Id,
    /** Optional; when given it must be the token's user. */
    userId: Type.Optional(UserId),
  },
  { additionalProperties: false },
)

export const Hold = Type.Object({
  reservationId: Type.Integer(),
  seatId: Type.Integer(),
  seatNo: Type.Integer(),
  concertOptionId: Type.Integer(),
  price: Type.Integer(),
  status: Type.Literal('PENDING'),
  reservationExpireTime: Type.String(),
  message: Type.String(),
})

export const PayBody = Type.Object({ reservationId: Id }, { additionalProperties: false })

// Headers always carry more than the ones a route reads, so this schema lists only its own.
export const PayHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7E]+$', description: 'printable ASCII' }),
  ),
})

export const Receipt = Type.Object({
  paymentId: Type.Integer(),
  reservationId: Type.Integer(),
  seatNo: Type.Integer(),
  price: Type.Integer(),
  status: Type.Literal('PAID'),
  currentPoints: Type.Integer(),
})

export const ReservationParams = Type.Object({ reservationId: Id }, { additionalProperties: false })

const ReservationStatus = Type.Union([
  Type.Literal('PENDING'),
  Type.Literal('PAID'),
  Type.Literal('EXPIRED'),
  Type.Literal('CANCELLED'),
])

export const Reservation = Type.Object({
  reservationId: Type.Integer(),
  userId: Type.Integer(),
  seatId: Type.Integer(),
  seatNo: Type.Integer(),
  concertOptionId: Type.Integer(),
  price: Type.Integer(),
  status: ReservationStatus,
  reservationExpireTime: Type.String(),
  createdAt: Type.String(),
  paidAt: Type.Union([Type.String(), Type.Null()]),
  paymentId: Type.Union([Type.Integer(), Type.Null()]),
})
