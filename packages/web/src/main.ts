import './style.css'
import { catalogScreen, datesScreen, seatsScreen } from './catalog.js'
import { holdScreen, stopCountdown } from './hold.js'
import { lineScreen, stopWaiting } from './line.js'
import { go } from './navigation.js'
import { receiptScreen } from './receipt.js'
import { session } from './session.js'
import { whoScreen } from './who.js'

/** Every screen change stops what the previous one was doing (waiting in line, counting down). */
const leaving = () => {
  stopWaiting()
  stopCountdown()
  const who = document.getElementById('who') as HTMLElement
  who.textContent = session.userId ? `User ${session.userId}` : ''
}

/** A screen's entry: leaves the previous screen first. */
function screen<A extends unknown[], R>(show: (...args: A) => R) {
  return (...args: A): R => {
    leaving()
    return show(...args)
  }
}

Object.assign(go, {
  who: screen(whoScreen),
  line: screen(lineScreen),
  catalog: screen(() => void catalogScreen()),
  dates: screen((id: number, name: string) => void datesScreen(id, name)),
  seats: screen(seatsScreen),
  hold: screen(holdScreen),
  receipt: screen(receiptScreen),
} satisfies typeof go)

// A reload goes on where the tab was: in the store with a live pass, in line, or at the start.
if (session.queueToken) go.catalog()
else if (session.userId) go.line()
else go.who()
