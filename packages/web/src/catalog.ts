import { ApiError, dataOf } from '@stagepass/client'
import { h, notify, showScreen, won } from './dom.js'
import { explain } from './errors.js'
import { go } from './navigation.js'
import { client, session } from './session.js'

/** The concerts on sale. */
export async function catalogScreen() {
  try {
    const { concerts } = await dataOf(client.GET('/concerts'))
    const items = concerts.map((concert) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'choice', onclick: () => go.dates(concert.id, concert.concertName) },
          h('strong', {}, concert.concertName),
          h('span', {}, ` ${concert.singer} · ${concert.startDate} – ${concert.endDate}`),
        ),
      ),
    )
    showScreen(
      'catalog',
      'Concerts',
      items.length > 0 ? h('ul', { class: 'choices' }, ...items) : h('p', {}, 'No concerts are on sale right now.'),
    )
  } catch (err) {
    explain(err, () => void catalogScreen())
  }
}

/** The dated performances of a concert, with their free seats. */
export async function datesScreen(concertId: number, concertName: string) {
  try {
    const { concerts: dates } = await dataOf(
      client.GET('/concerts/{concertId}/available-dates', { params: { path: { concertId } } }),
    )
    const items = dates.map((date) => {
      const title = `${concertName}, ${date.concertDate} ${date.concertTime} at ${date.concertVenue}`
      return h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'choice', onclick: () => go.seats(date.concertOptionId, title) },
          h('strong', {}, `${date.concertDate} ${date.concertTime}`),
          h('span', {}, ` ${date.concertVenue} · ${date.availableSeats} seats free`),
        ),
      )
    })
    showScreen(
      'dates',
      concertName,
      h('ul', { class: 'choices' }, ...items),
      h('button', { type: 'button', class: 'secondary', onclick: () => go.catalog() }, 'All concerts'),
    )
  } catch (err) {
    explain(err, () => void datesScreen(concertId, concertName))
  }
}

/** Each performance's title, for coming back to its seat map. */
const titles = new Map<number, string>()

/** How each status reads on a seat: its class (colour and shape), and the words a screen reader says. */
const SEAT_STATES = {
  FREE: { className: 'free', words: 'free', legend: 'free' },
  HELD: { className: 'held', words: 'held by someone, may come free', legend: 'held (free again if the hold lapses)' },
  SOLD: { className: 'sold', words: 'sold', legend: 'sold' },
} as const

/** The seat map of a performance: every seat free, held or sold; free seats can be held. */
export async function seatsScreen(concertOptionId: number, title = titles.get(concertOptionId) ?? '') {
  titles.set(concertOptionId, title)
  try {
    const { seats } = await dataOf(
      client.GET('/concerts/{concertOptionId}/seats', { params: { path: { concertOptionId } } }),
    )
    const buttons = seats.map((seat) => {
      const state = SEAT_STATES[seat.status]
      const free = seat.status === 'FREE'
      const label = free ? `Seat ${seat.seatNo}, ${won(seat.price)}, free` : `Seat ${seat.seatNo}, ${state.words}`
      return h(
        'button',
        {
          type: 'button',
          class: `seat ${state.className}`,
          'aria-label': label,
          title: label,
          disabled: !free,
          onclick: free ? () => void hold(seat.seatId, seat.seatNo, concertOptionId, title) : undefined,
        },
        String(seat.seatNo),
      )
    })
    const legend = Object.values(SEAT_STATES).map((state) =>
      h('li', {}, h('span', { class: `seat ${state.className}`, 'aria-hidden': 'true' }, ''), ` ${state.legend}`),
    )
    showScreen(
      'seats',
      'Pick a seat',
      h('p', {}, title),
      h('ul', { class: 'legend', 'aria-label': 'Legend' }, ...legend),
      h('div', { class: 'seat-map', role: 'group', 'aria-label': 'Seat map' }, ...buttons),
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          { type: 'button', class: 'secondary', onclick: () => void seatsScreen(concertOptionId, title) },
          'Refresh',
        ),
        h('button', { type: 'button', class: 'secondary', onclick: () => go.catalog() }, 'All concerts'),
      ),
    )
  } catch (err) {
    explain(err, () => void seatsScreen(concertOptionId, title))
  }
}

async function hold(seatId: number, seatNo: number, concertOptionId: number, title: string) {
  try {
    const held = await dataOf(client.POST('/concerts/reserve-seat', { body: { seatId, userId: session.userId } }))
    go.hold(held)
  } catch (err) {
    const refresh = () => void seatsScreen(concertOptionId, title)
    if (err instanceof ApiError && (err.code === 'SEAT_UNAVAILABLE' || err.code === 'SEAT_NOT_FOUND')) {
      await seatsScreen(concertOptionId, title)
      notify(`Seat ${seatNo} was taken meanwhile. Please pick another seat.`, [], 'info')
    } else if (err instanceof ApiError && err.code === 'HOLD_LIMIT_REACHED') {
      notify('You already hold as many seats as allowed for this performance. Pay for them or let them lapse.')
    } else explain(err, refresh)
  }
}
