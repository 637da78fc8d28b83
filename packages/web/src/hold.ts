import { ApiError, dataOf } from '@stagepass/client'
import { field, h, notify, showScreen, won } from './dom.js'
import { explain } from './errors.js'
import { go, type Hold } from './navigation.js'
import { client, session } from './session.js'

let ticking: ReturnType<typeof setInterval> | undefined

/** Seconds as m:ss. */
const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`

/** The hold: a countdown to its expiry, the balance, a top-up, and paying with points. */
export function holdScreen(hold: Hold) {
  clearInterval(ticking)
  const userId = session.userId as number
  // One key per hold: a payment whose answer was lost is retried with it and charged once.
  const idempotencyKey = crypto.randomUUID()
  const countdown = h('strong', { 'data-testid': 'countdown' })
  const timer = h('p', { class: 'countdown', role: 'timer', 'aria-live': 'off' }, 'Time left to pay: ', countdown)
  const balance = h('strong', { 'data-testid': 'balance' }, '…')
  const amount = h('input', { name: 'amount', inputmode: 'numeric', value: String(hold.price), required: true })
  const pay = h('button', { type: 'button', class: 'primary', onclick: () => void payNow() }, `Pay ${won(hold.price)}`)
  const topUp = h('form', { class: 'top-up' }, field('Top up (won)', amount), h('button', { type: 'submit' }, 'Top up'))

  const expiresAt = Date.parse(hold.reservationExpireTime)
  const tick = () => {
    const left = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000))
    countdown.textContent = clock(left)
    if (left === 0) lapsed()
  }
  const lapsed = () => {
    clearInterval(ticking)
    void go
      .seats(hold.concertOptionId)
      .then(() =>
        notify(`Your hold on seat ${hold.seatNo} lapsed and the seat was released. Pick a seat again.`, [], 'info'),
      )
  }

  const showBalance = async () => {
    const { currentPoints } = await dataOf(client.GET('/points/current/{userId}', { params: { path: { userId } } }))
    balance.textContent = won(currentPoints)
  }
  topUp.addEventListener('submit', (event) => {
    event.preventDefault()
    const value = Number(amount.value)
    if (!Number.isSafeInteger(value) || value < 1 || value > 10_000_000) {
      notify('A top-up is a whole number of won, from 1 to 10,000,000.')
      amount.focus()
      return
    }
    dataOf(client.PUT('/points/charge', { body: { userId, amount: value } }))
      .then(({ currentPoints }) => {
        balance.textContent = won(currentPoints)
        notify(`Topped up ${won(value)}.`, [], 'info')
        pay.focus()
      })
      .catch((err) => explain(err))
  })
  async function payNow() {
    try {
      const receipt = await dataOf(
        client.POST('/payment/pay', {
          body: { reservationId: hold.reservationId },
          headers: { 'idempotency-key': idempotencyKey },
        }),
      )
      clearInterval(ticking)
      go.receipt(receipt)
    } catch (err) {
      const code = err instanceof ApiError ? err.code : ''
      if (code === 'INSUFFICIENT_POINTS') {
        notify(`Not enough points to pay ${won(hold.price)}. Top up below, then pay.`, [
          { label: 'Top up', run: () => amount.focus() },
        ])
      } else if (code === 'RESERVATION_EXPIRED' || code === 'RESERVATION_NOT_FOUND') lapsed()
      else explain(err, () => void payNow())
    }
  }

  showScreen(
    'hold',
    `Seat ${hold.seatNo} is yours for now`,
    h(
      'div',
      { class: 'card' },
      h('p', {}, `Price: ${won(hold.price)}`),
      timer,
      h('p', {}, 'Your points: ', balance),
      pay,
    ),
    topUp,
    h('p', { class: 'hint' }, 'If the time runs out before you pay, the seat is released for others.'),
  )
  tick()
  ticking = setInterval(tick, 1000)
  showBalance().catch((err) => explain(err, () => void showBalance()))
}

/** Leaves the hold screen: its countdown stops. */
export function stopCountdown() {
  clearInterval(ticking)
}
