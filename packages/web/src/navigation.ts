/** A hold as `POST /concerts/reserve-seat` answers it. */
export type Hold = {
  reservationId: number
  seatNo: number
  concertOptionId: number
  price: number
  reservationExpireTime: string
}
/** A payment as `POST /payment/pay` answers it. */
export type Receipt = { paymentId: number; reservationId: number; seatNo: number; price: number; currentPoints: number }

/** The screens, each shown by its function (registered by main.ts, so screens need not import each other). */
export interface Screens {
  who(): void
  /** `reason`: why the user is (back) in line, shown there. */
  line(reason?: string): void
  catalog(): void
  dates(concertId: number, concertName: string): void
  seats(concertOptionId: number, title?: string): Promise<void>
  hold(hold: Hold): void
  receipt(receipt: Receipt): void
}

export const go = {} as Screens
