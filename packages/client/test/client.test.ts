import { addPerformance, apiClient, startSystem } from '@stagepass/testkit'
import t from 'tap'
import {
  ApiError,
  type Credentials,
  createStagepassClient,
  dataOf,
  pollDelayMs,
  type QueueTicket,
  waitInLine,
} from '../src/index.js'

const ADMIN_KEY = 'client-test-queue-admin-key-0123'

/** The typed client against a real system (monolith: one process, the same contract as split). */
const system = await startSystem(t, {
  mode: 'monolith',
  env: { QUEUE_ADMIN_KEY: ADMIN_KEY, QUEUE_ABANDON_AFTER_SECONDS: '1', QUEUE_TICK_MS: '50' },
})
const admin = apiClient(system.queueAdminUrl)
t.teardown(() => admin.close())
const changeAdmission = async (body: Record<string, unknown>) => {
  const res = await admin.call('PATCH', '/admin/queue', { body, headers: { 'x-admin-key': ADMIN_KEY } })
  if (res.status !== 200) throw new Error(`PATCH /admin/queue answered ${res.status}`)
}

const credentials: Credentials = {}
const client = createStagepassClient({ baseUrl: system.baseUrl, credentials: () => credentials })

t.test('typed calls: data on success, an ApiError naming the code on a refusal', async (t) => {
  const charged = await dataOf(client.PUT('/points/charge', { body: { userId: 501, amount: 70_000 } }))
  t.same(charged, { userId: 501, currentPoints: 70_000 })
  const balance = await dataOf(client.GET('/points/current/{userId}', { params: { path: { userId: 501 } } }))
  t.equal(balance.currentPoints, 70_000)
  const refused = await dataOf(client.PUT('/points/charge', { body: { userId: 501, amount: 0 } })).catch((e) => e)
  t.ok(refused instanceof ApiError)
  t.match(refused, { status: 400, code: 'VALIDATION_ERROR' })
  const noToken = await dataOf(client.GET('/concerts')).catch((e) => e)
  t.match(noToken, { status: 401, code: 'TOKEN_MISSING' }, 'guarded routes want the queue token')
})

t.test('waitInLine waits while admission is paused, and returns the ACTIVE ticket once admitted', async (t) => {
  await changeAdmission({ paused: true })
  const seen: QueueTicket[] = []
  let sawWaiting: () => void = () => {}
  const waiting = new Promise<void>((resolve) => {
    sawWaiting = resolve
  })
  const admitted = waitInLine(client, {
    userId: 502,
    onTicket: (ticket) => {
      seen.push(ticket)
      if (ticket.status === 'WAITING') sawWaiting()
    },
  })
  await waiting
  await changeAdmission({ paused: false })
  const ticket = await admitted
  t.equal(ticket.status, 'ACTIVE')
  t.equal(seen[0]?.status, 'WAITING', 'the first ticket was a place in line')
  // QUEUE_ABANDON_AFTER_SECONDS 1: the server asks for a poll every second, the longest it allows.
  t.equal(seen[0]?.pollAfterSeconds, 1, 'the place says when to poll again')
  t.equal(seen.at(-1)?.token, ticket.token)
  // The queue token it returned opens the catalog.
  const { concertOptionId } = await addPerformance(system.db, { seats: 3 })
  credentials.queueToken = ticket.token
  const seats = await dataOf(
    client.GET('/concerts/{concertOptionId}/available-seats', { params: { path: { concertOptionId } } }),
  )
  t.equal(seats.seats.length, 3)
})

t.test('waitInLine polls when the server says; without its suggestion, at a tenth of the wait', async (t) => {
  t.equal(pollDelayMs({ remainingTime: 600, pollAfterSeconds: 30 }), 30_000, "the server's interval, past the old 5 s")
  t.equal(pollDelayMs({ remainingTime: 600, pollAfterSeconds: 2 }), 2000)
  t.equal(
    pollDelayMs({ remainingTime: 600, pollAfterSeconds: 30 }, { maxPollIntervalMs: 3000 }),
    3000,
    'bounds given win',
  )
  t.equal(pollDelayMs({ remainingTime: 5, pollAfterSeconds: 1 }, { minPollIntervalMs: 3000 }), 3000)
  t.equal(pollDelayMs({ remainingTime: 30 }), 3000, 'absent: a tenth of the estimated wait')
  t.equal(pollDelayMs({ remainingTime: 600 }), 5000, 'absent: at most 5 s')
  t.equal(pollDelayMs({ remainingTime: 2 }), 1000, 'absent: at least 1 s')
})

t.test('waitInLine takes a new place when the old one was lost', async (t) => {
  await changeAdmission({ paused: true })
  t.teardown(() => changeAdmission({ paused: false }))
  const controller = new AbortController()
  // Polls further apart than QUEUE_ABANDON_AFTER_SECONDS: the place is abandoned between two polls.
  const rejoined = new Promise<QueueTicket>((resolve) => {
    waitInLine(client, {
      userId: 503,
      signal: controller.signal,
      minPollIntervalMs: 3000,
      maxPollIntervalMs: 3000,
      onRejoin: resolve,
    }).catch(() => {})
  })
  const ticket = await rejoined
  controller.abort()
  t.equal(ticket.status, 'WAITING', 'back in line with a new place')
})

t.test('waitInLine stops when its signal aborts', async (t) => {
  await changeAdmission({ paused: true })
  t.teardown(() => changeAdmission({ paused: false }))
  const controller = new AbortController()
  const waiting = waitInLine(client, {
    userId: 504,
    signal: controller.signal,
    onTicket: () => controller.abort(new Error('left the page')),
  })
  await t.rejects(waiting, { message: 'left the page' })
})
