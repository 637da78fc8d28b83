/** The reservation and its seat number, as the hold and payment paths read them (`reservation as r`, `seat as s`). */
export const RESERVATION_COLUMNS = [
  'r.id',
  'r.user_id',
  'r.seat_id',
  's.seat_no',
  'r.concert_option_id',
  'r.price',
  'r.status',
  'r.expires_at',
] as const
