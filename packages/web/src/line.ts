import { type QueueTicket, waitInLine } from '@stagepass/client'
import { h, notify, showScreen } from './dom.js'
import { explain } from './errors.js'
import { go } from './navigation.js'
import { client, saveSession, session } from './session.js'

/** The wait in words: "about 3 minutes". */
export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(seconds, 1)} second${seconds === 1 ? '' : 's'}`
  const minutes = Math.round(seconds / 60)
  return `${minutes} minute${minutes === 1 ? '' : 's'}`
}

let leaving: AbortController | undefined

/** The waiting room: the place, the estimated wait and a bar that moves, until the user is let in. */
export function lineScreen(reason?: string) {
  leaving?.abort()
  const controller = new AbortController()
  leaving = controller
  const userId = session.userId
  if (!userId) return go.who()
  const place = h('p', { class: 'place', 'data-testid': 'place' }, 'Joining the line…')
  const wait = h('p', { 'data-testid': 'wait' })
  const bar = h('progress', { max: 100, value: 0, 'aria-label': 'Progress through the line' })
  let firstOrder: number | undefined
  const show = (ticket: QueueTicket) => {
    // Where the user joined: the bar runs from there (0) to the turn (100).
    firstOrder ??= ticket.queueOrder
    if (ticket.status === 'ACTIVE') {
      place.textContent = "It's your turn!"
      bar.value = 100
      return
    }
    const ahead = ticket.queueOrder
    place.textContent =
      ahead === 0
        ? 'You are next in line.'
        : `${ahead.toLocaleString('en-US')} ${ahead === 1 ? 'person' : 'people'} ahead of you.`
    wait.textContent = ticket.preQueue
      ? `Sales open at ${new Date(ticket.opensAt ?? '').toLocaleTimeString()}; places are drawn at random then.`
      : `Estimated wait: about ${duration(ticket.estimatedWaitSeconds ?? ticket.remainingTime)}.`
    bar.value = Math.round((100 * (firstOrder - Math.min(ahead, firstOrder))) / (firstOrder + 1))
  }
  showScreen(
    'line',
    'You are in line',
    h('div', { class: 'card' }, place, bar, wait),
    h(
      'p',
      { class: 'hint' },
      'Keep this tab open: it keeps your place. If you close it, your place is kept for about two minutes; come back with the same user id within that time and you get the same place, later and you join at the back.',
    ),
    h('button', { type: 'button', class: 'secondary', onclick: () => go.who() }, 'Leave the line'),
  )
  if (reason) notify(reason, [], 'info')
  waitInLine(client, {
    userId,
    signal: controller.signal,
    onTicket: show,
    onRejoin: () => notify('Your place had lapsed, so you joined the line again.', [], 'info'),
  }).then(
    (ticket) => {
      if (controller.signal.aborted) return
      saveSession({ queueToken: ticket.token })
      go.catalog()
    },
    (err) => {
      if (!controller.signal.aborted) explain(err, () => go.line())
    },
  )
}

/** Stops waiting (the user went elsewhere). */
export function stopWaiting() {
  leaving?.abort()
}
