import { ManualClock } from '@stagepass/testkit'
import t from 'tap'
import { SEAT_REFUSED } from '../src/errors.js'
import { createTakenSeats } from '../src/taken-seats.js'

/** Booking's memory of taken seats, on a clock the test moves: its bound and a hold's own end. */

const BOUND_MS = 1000

t.test('a seat seen taken is remembered for the bound, and forgotten exactly at its end', async (t) => {
  const clock = new ManualClock()
  const taken = createTakenSeats(BOUND_MS, { clock })
  const seenAt = clock.now()
  taken.remember(1)
  clock.set(seenAt + BOUND_MS - 1)
  t.ok(taken.isTaken(1), 'bound - 1 ms: taken')
  clock.set(seenAt + BOUND_MS)
  t.notOk(taken.isTaken(1), 'bound: forgotten')
  clock.set(seenAt + BOUND_MS + 1)
  t.notOk(taken.isTaken(1), 'bound + 1 ms: forgotten')
  t.notOk(taken.isTaken(2), 'a seat never seen is not taken')
})

t.test('never past the hold: a seat held for less than the bound is free the moment the hold ends', async (t) => {
  const clock = new ManualClock()
  const taken = createTakenSeats(BOUND_MS, { clock })
  const heldUntil = clock.now() + 300
  taken.remember(1, heldUntil)
  clock.set(heldUntil - 1)
  t.ok(taken.isTaken(1), 'hold end - 1 ms: taken')
  clock.set(heldUntil)
  t.notOk(taken.isTaken(1), 'hold end: free')
})

t.test('seen again: the memory starts over from then', async (t) => {
  const clock = new ManualClock()
  const taken = createTakenSeats(BOUND_MS, { clock })
  taken.remember(1)
  clock.advance(BOUND_MS - 1)
  const seenAgainAt = clock.now()
  taken.remember(1)
  clock.set(seenAgainAt + BOUND_MS - 1)
  t.ok(taken.isTaken(1))
  clock.set(seenAgainAt + BOUND_MS)
  t.notOk(taken.isTaken(1))
})

t.test('a seat remembered taken is refused without an attempt; a bound of 0 remembers nothing', async (t) => {
  const clock = new ManualClock()
  const taken = createTakenSeats(BOUND_MS, { clock })
  taken.remember(1)
  let attempts = 0
  const attempt = async () => {
    attempts++
    return 'held'
  }
  t.equal(await taken.decide(1, attempt), SEAT_REFUSED)
  t.equal(attempts, 0)
  clock.advance(BOUND_MS)
  t.equal(await taken.decide(1, attempt), 'held', 'once forgotten, the attempt runs')

  const off = createTakenSeats(0, { clock })
  off.remember(1)
  t.notOk(off.isTaken(1))
})

t.test(
  'requests for a seat being tried wait for the outcome: refused once it is held, tried again when the attempt failed',
  async (t) => {
    const clock = new ManualClock()
    const taken = createTakenSeats(BOUND_MS, { clock })
    let finish: (held: boolean) => void = () => {}
    let attempts = 0
    const first = taken.decide(1, async () => {
      attempts++
      const held = await new Promise<boolean>((resolve) => (finish = resolve))
      if (!held) throw new Error('over the cap')
      taken.remember(1)
      return 'held'
    })
    const waiting = [1, 2, 3].map(() => taken.decide(1, async () => `held after ${++attempts} attempts`))
    const outcomes = Promise.allSettled(waiting)
    t.equal(attempts, 1, 'one attempt runs while the others wait')
    finish(false)
    await t.rejects(first, { message: 'over the cap' })
    const settled = await outcomes
    t.same(
      settled.map((o) => o.status),
      ['fulfilled', 'fulfilled', 'fulfilled'],
      'the failed attempt refused nobody: the next ones tried in turn',
    )
    t.equal(attempts, 4)

    const heldNow = taken.decide(2, async () => {
      const held = await new Promise<boolean>((resolve) => (finish = resolve))
      if (held) taken.remember(2)
      return 'held'
    })
    const late = taken.decide(2, async () => 'a second hold')
    finish(true)
    t.equal(await heldNow, 'held')
    t.equal(await late, SEAT_REFUSED, 'refused once the first attempt held the seat')
  },
)

t.test('the request that holds the seat is answered before the requests it refuses', async (t) => {
  const taken = createTakenSeats(BOUND_MS, { clock: new ManualClock() })
  const answered: string[] = []
  let finish: () => void = () => {}
  const winner = taken.decide(1, async () => {
    await new Promise<void>((resolve) => (finish = resolve))
    taken.remember(1)
    return 'held'
  })
  // A won hold goes on through the route, the reply and its hooks: many more steps than a refusal.
  const answer = async () => {
    let value = await winner
    for (let step = 0; step < 50; step++) value = await Promise.resolve(value)
    answered.push(value === SEAT_REFUSED ? 'refused' : value)
  }
  const sent = answer()
  const refusals = Array.from({ length: 100 }, () =>
    taken
      .decide(1, async () => 'a second hold')
      .then((outcome) => answered.push(outcome === SEAT_REFUSED ? 'refused' : outcome)),
  )
  finish()
  await Promise.all([sent, ...refusals])
  t.equal(answered.length, 101)
  t.equal(answered[0], 'held', 'the winner first')
  t.equal(answered.filter((a) => a === 'refused').length, 100, 'then the 100 refusals')
})
