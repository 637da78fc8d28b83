import { createServer, type Server } from 'node:net'
import type { RunningProcess } from '@stagepass/launcher'
import {
  type ApiClient,
  type ApiResponse,
  addPerformance,
  admittedToken,
  apiClient,
  countRows,
  eventually,
  freePort,
  readyOnOperationsPort,
  startSystem,
  startTcpProxy,
  type TcpProxy,
  tally,
} from '@stagepass/testkit'
import { sql } from 'kysely'
import t from 'tap'

/** Requests the gateway served, by `count` of `http_request_duration_seconds` on a process's operations port. */
async function requestsServed(proc: RunningProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${proc.spec.opsPort}/metrics`)).text()
  return text
    .split('\n')
    .filter((l) => l.startsWith('http_request_duration_seconds_count{') && l.includes('route="/reservations/'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0)
}

/** What the API docs tell a client: a payment whose answer was lost (502/503/504) is sent again, same key. */
async function payUntilAnswered(api: ApiClient, token: string, reservationId: number, key: string) {
  let res: ApiResponse | undefined
  await eventually(async () => {
    res = await api.post('/payment/pay', { reservationId }, { token, headers: { 'idempotency-key': key } })
    return ![502, 503, 504].includes(res.status)
  }, 30_000)
  return res as ApiResponse
}

/**
 * One system for all three: the first test kills an instance and sees it come back; the second kills
 * the one paying, mid-payment; the last makes the other instance fail on every start, until the
 * launcher gives up on it and stops the system.
 */
t.test('split with two booking instances, under the launcher', async (t) => {
  const system = await startSystem(t, { mode: 'split', scale: { booking: 2 }, env: { QUEUE_TICK_MS: '50' } })

  await t.test('SIGKILL of one of two booking instances: the system keeps answering, it comes back', async (t) => {
    const api = apiClient(system.baseUrl, { connections: 64 })
    t.teardown(() => api.close())
    const token = await admittedToken(api, 7)
    const [victim, survivor] = ['booking-1', 'booking-2'].map((name) =>
      system.processes.find((p) => p.spec.name === name),
    ) as [RunningProcess, RunningProcess]
    // Booking answers every one of these (a reservation nobody has: 404), whichever instance gets it.
    const wave = () => Promise.all(Array.from({ length: 50 }, () => api.get('/reservations/999999999', { token })))

    // Requests flow through the gateway while the instance is killed and restarted.
    const seen: ApiResponse[] = []
    /** When each wave with a failure ended: how long requests failed is reported, not judged. */
    const failingWaves: number[] = []
    let flowing = true
    const flow = (async () => {
      while (flowing) {
        const answers = await wave()
        const at = performance.now()
        seen.push(...answers)
        if (answers.some((r) => r.status >= 500)) failingWaves.push(at)
      }
    })()
    await eventually(async () => seen.length >= 200)
    const killedPid = victim.child.pid
    victim.child.kill('SIGKILL')
    await victim.exited
    const back = await eventually(
      async () => victim.child.pid !== killedPid && (await readyOnOperationsPort(victim)),
      30_000,
    )
    const duringOutage = seen.length
    await eventually(async () => seen.length >= duringOutage + 200)
    flowing = false
    await flow

    t.ok(back, 'the killed instance was restarted: its readiness answers again on its operations port')
    t.ok(await readyOnOperationsPort(survivor), 'the other instance kept running')
    t.ok(survivor.child.exitCode === null && survivor.child.signalCode === null, 'nothing else was stopped')
    const statuses = tally(seen.map((r) => r.status))
    const failed = seen.length - (statuses['404'] ?? 0)
    t.ok(failed < seen.length / 4, `the system kept answering: ${JSON.stringify(statuses)}`)
    const failingFor = failingWaves.length ? (failingWaves.at(-1) as number) - (failingWaves[0] as number) : 0
    t.comment(`requests failed for ${failingFor.toFixed(0)} ms (${failingWaves.length} waves of 50 had a failure)`)
    // A connection the restarting instance refuses never carried the request: the other instance takes
    // it. Only requests already on their way when it died fail (a 502, or a 503 for a socket it closed),
    // in the wave the kill caught and at most the next; before, every wave until it listened again.
    t.ok(
      failingWaves.length <= 2,
      `only requests in flight when it died failed (${failingWaves.length} waves with a failure)`,
    )
    t.ok(
      seen.every((r) => r.status === 404 || (r.status >= 502 && r.status <= 504 && typeof r.body.code === 'string')),
      'a request caught by the kill got a 5xx in the documented shape, never a hang',
    )
    const last = await wave()
    t.same(tally(last.map((r) => r.status)), { 404: 50 }, 'afterwards every request is answered')
    const servedBefore = await requestsServed(victim)
    await wave()
    await wave()
    t.ok((await requestsServed(victim)) > servedBefore, 'the gateway sends the restarted instance its share again')
    t.match(system.output(), /launcher {2}\| booking-1 was killed by SIGKILL; restarting it in 250 ms/)
    t.match(system.output(), /launcher {2}\| booking-1 is back/)
  })

  await t.test(
    'a payment whose booking instance is SIGKILLed mid-payment, retried with its key, is paid once',
    async (t) => {
      const { db } = system
      const api = apiClient(system.baseUrl, { connections: 16 })
      t.teardown(() => api.close())
      const point = system.processes.find((p) => p.spec.name === 'point') as RunningProcess
      const bookings = system.processes.filter((p) => p.spec.name.startsWith('booking-'))

      // Each booking instance reaches point through a proxy of its own, so the test sees which one is paying.
      const proxies = new Map<RunningProcess, TcpProxy>()
      for (const booking of bookings) {
        const proxy = await startTcpProxy(t, '127.0.0.1', point.spec.port)
        proxies.set(booking, proxy)
        booking.spec.env.POINT_URLS = `http://127.0.0.1:${proxy.port}`
        const pid = booking.child.pid
        booking.child.kill('SIGKILL')
        t.ok(
          await eventually(async () => booking.child.pid !== pid && (await readyOnOperationsPort(booking)), 30_000),
          'restarted',
        )
      }

      const userId = 42
      await api.put('/points/charge', { userId, amount: 50_000 })
      const token = await admittedToken(api, userId)
      const { seatIds } = await addPerformance(db, { seats: 1, price: 30_000 })
      const hold = await api.post('/concerts/reserve-seat', { seatId: seatIds[0] }, { token })
      t.equal(hold.status, 200, 'the seat is held')
      const reservationId: number = hold.body.data.reservationId
      const key = `pay-${reservationId}`

      // The payment reaches a booking instance, which asks point for the points: that call is held on its way.
      for (const proxy of proxies.values()) proxy.hold((chunk) => chunk.includes('/internal/points/use'))
      const first = api.post('/payment/pay', { reservationId }, { token, headers: { 'idempotency-key': key } })
      let paying: RunningProcess | undefined
      await eventually(async () => {
        paying = [...proxies].find(([, proxy]) => proxy.heldBytes > 0)?.[0]
        return paying !== undefined
      })
      if (!paying) throw new Error('no booking instance called point')
      paying.child.kill('SIGKILL')
      const lost = await first
      t.ok([502, 503].includes(lost.status), `the payer's answer is lost: ${lost.status} ${lost.body.code}`)
      t.type(lost.body.code, 'string', 'in the documented error shape')

      // The use was already on its way: it lands, and the points are taken, with nobody left to record it.
      for (const proxy of proxies.values()) proxy.release()
      const uses = sql`reference = ${`reservation:${reservationId}`} and type = 'USE'`
      const pointUses = async () => {
        const { rows } = await sql<{ n: number }>`select count(*) as n from point_history where ${uses}`.execute(db)
        return Number(rows[0]?.n ?? 0)
      }
      t.ok(await eventually(async () => (await pointUses()) === 1), 'point took the points')

      const retried = await payUntilAnswered(api, token, reservationId, key)
      t.equal(retried.status, 200, 'the retry with the same key is answered')
      t.match(retried.body.data, { reservationId, price: 30_000, status: 'PAID', currentPoints: 20_000 })
      const again = await payUntilAnswered(api, token, reservationId, key)
      t.same(again.body, retried.body, 'and every later retry gets the same receipt')

      t.equal(await countRows(db, 'payment', sql`reservation_id = ${reservationId}`), 1, 'one payment')
      const payment = await db
        .selectFrom('payment')
        .select(['id', 'status'])
        .where('reservation_id', '=', reservationId)
        .executeTakeFirstOrThrow()
      t.equal(retried.body.data.paymentId, payment.id, "the receipt is that payment's")
      t.equal(await pointUses(), 1, 'one point use')
      t.equal(
        await countRows(db, 'reservation', sql`id = ${reservationId} and status = 'PAID'`),
        1,
        'the seat PAID once',
      )
      t.equal(
        await countRows(db, 'reservation', sql`seat_id = ${seatIds[0]} and status in ('PENDING', 'PAID')`),
        1,
        'and nobody else holds it',
      )
      const balance = await api.get(`/points/current/${userId}`)
      t.equal(balance.body.data.currentPoints, 20_000, 'charged once')
    },
  )

  await t.test(
    'a process that crashes on every start is given up on with one clear line, and the system stops',
    async (t) => {
      // Another program takes the port the instance's next starts need: each of them fails at once.
      const taken: Server = createServer()
      const takenPort = await freePort()
      await new Promise<void>((resolve) => taken.listen(takenPort, '127.0.0.1', resolve))
      t.teardown(() => new Promise((resolve) => taken.close(resolve)))
      const victim = system.processes.find((p) => p.spec.name === 'booking-2') as RunningProcess
      const before = system.output().length
      victim.spec.env.PORT = String(takenPort)
      victim.child.kill('SIGKILL')

      const end = await system.ended
      t.same(end, { gaveUpOn: 'booking-2' }, 'the launcher gave up on that process')
      const lines = system.output().split('\n')
      const givingUp = lines.filter((l) => l.startsWith('launcher  | ') && l.includes('giving up'))
      t.same(
        givingUp,
        ['launcher  | booking-2 exited with code 1: 5 exits within 60 s, giving up on it and stopping the system'],
        'one clear line',
      )
      t.ok(
        system.processes.every((p) => p.child.exitCode !== null || p.child.signalCode !== null),
        'and then every process was stopped',
      )
      // Five exits within 60 s, the kill included; the tests before killed it too, within the window or not.
      const restarts = system
        .output()
        .slice(before)
        .split('\n')
        .filter((l) => l.includes('booking-2 exited with code 1; restarting')).length
      t.ok(restarts >= 1 && restarts <= 3, `after restarts (${restarts})`)
    },
  )
})
