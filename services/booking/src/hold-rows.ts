/** A live hold as its holder is told of it. */
export interface Hold {
  reservationId: number
  userId: number
  seatId: number
  seatNo: number
  concertOptionId: number
  price: number
  expiresAt: Date
}

/** A hold's reservation row. */
export function newHold(hold: Hold, slot: number, now: Date) {
  return {
    user_id: hold.userId,
    seat_id: hold.seatId,
    concert_option_id: hold.concertOptionId,
    price: hold.price,
    hold_slot: slot,
    expires_at: hold.expiresAt,
    created_at: now,
  }
}

/** The `reservation.held` event of a hold. */
export function heldEvent(hold: Hold) {
  return {
    reservationId: hold.reservationId,
    userId: hold.userId,
    seatId: hold.seatId,
    concertOptionId: hold.concertOptionId,
    expiresAt: hold.expiresAt.toISOString(),
  }
}
