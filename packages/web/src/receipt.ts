import { h, showScreen, won } from './dom.js'
import { go, type Receipt } from './navigation.js'
import { saveSession } from './session.js'

/** The receipt of a payment. The queue token ends with it: another purchase starts in line. */
export function receiptScreen(receipt: Receipt) {
  saveSession({ queueToken: undefined })
  showScreen(
    'receipt',
    'Payment complete',
    h(
      'dl',
      { class: 'card receipt' },
      h('dt', {}, 'Seat'),
      h('dd', {}, String(receipt.seatNo)),
      h('dt', {}, 'Paid'),
      h('dd', {}, won(receipt.price)),
      h('dt', {}, 'Payment'),
      h('dd', { 'data-testid': 'payment-id' }, `#${receipt.paymentId}`),
      h('dt', {}, 'Reservation'),
      h('dd', {}, `#${receipt.reservationId}`),
      h('dt', {}, 'Points left'),
      h('dd', {}, won(receipt.currentPoints)),
    ),
    h('p', {}, 'Enjoy the show! Keep this page or note the payment number.'),
    h('button', { type: 'button', onclick: () => go.line() }, 'Buy another ticket'),
  )
}
