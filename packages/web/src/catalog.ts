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

/** The highest seat number seen per performance: seats missing from the free list are taken. */
const seatCount = new Map<number, number>()
/** Each performance's title, for coming back to its seat map. */
const titles = new Map<number, string>()

/** The seat map of a performance: free seats can be held, taken ones (held or sold) cannot. */
export async function seatsScreen(concertOptionId: number, title = titles.get(concertOptionId) ?? '') {
  titles.set(concertOptionId, title)
  try {
    const { seats } = await dataOf(
      client.GET('/concerts/{concertOptionId}/available-seats', { params: { path: { concertOptionId } } }),
    )
    const free = new Map(seats.map((seat) => [seat.seatNo, seat]))
    const count = Math.max(seatCount.get(concertOptionId) ?? 0, ...seats.map((seat) => seat.seatNo))
    seatCount.set(concertOptionId, count)
    const buttons = Array.from({ length: count }, (_, i) => {
      const seat = free.get(i + 1)
      const label = seat ? `Seat ${i + 1}, ${won(seat.price)}, free` : `Seat ${i + 1}, taken`
      return h(
        'button',
        {
          type: 'button',
          class: `seat ${seat ? 'free' : 'taken'}`,
          'aria-label': label,
          title: label,
          disabled: !seat,
          onclick: seat ? () => void hold(seat.seatId, seat.seatNo, concertOptionId, title) : undefined,
        },
        String(i + 1),
      )
    })
    showScreen(
      'seats',
      'Pick a seat',
      h('p', {}, title),
      h(
        'p',
        { class: 'legend' },
        h('span', { class: 'seat free' }, ''),
        ' free ',
        h('span', { class: 'seat taken' }, ''),
        ' taken (held or sold)',
      ),
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
