import { eventually } from '@stagepass/testkit'
import t from 'tap'
import { admin, inspectQueue, queueConfig } from './helpers.js'
import { joinAll, threeInstances } from './instances.js'

const RATE = 50
/** Admissions to watch: several seconds' worth at the rate, a third of the line. */
const WATCH_FOR = 300

t.test(`with admitPerSecond ${RATE}, three instances admit at that rate by Redis's clock`, async (t) => {
  const config = queueConfig(t, { QUEUE_TICK_MS: 100 })
  const { redis, store, keys } = inspectQueue(t, config)
  await store.changeSettings({ paused: true, admitPerSecond: RATE, maxActive: 100_000 })
  const instance = await threeInstances(t, config)
  await joinAll(t, instance, 1000, 50_000)

  const unpaused = await instance(2).api.call('PATCH', '/admin/queue', { body: { paused: false }, headers: admin })
  t.equal(unpaused.body.data.paused, false)
  // Watched until enough were admitted, however long a busy machine takes for that; a tick is one
  // script that reads the setting, so once the pause is in, no tick admits anyone.
  const enough = await eventually(async () => (await redis.zcard(keys.active)) >= WATCH_FOR, 120_000)
  await store.changeSettings({ paused: true })
  t.ok(enough, `${WATCH_FOR} admitted`)

  // Each admission is stamped with the Redis time of the tick that made it ("id:admittedAt:expiresAt").
  const stamps = Object.values(await redis.hgetall(keys.activeTokens)).map((entry) => Number(entry.split(':')[1]))
  const perTick = new Map<number, number>()
  for (const at of stamps) perTick.set(at, (perTick.get(at) ?? 0) + 1)
  const ticks = [...perTick.entries()].sort(([a], [b]) => a - b)
  t.ok(ticks.length > 2, `${stamps.length} admitted in ${ticks.length} ticks`)

  // The budget: RATE per second of Redis time between ticks, a stalled tick making up at most one
  // second. The first tick's share accrued before the resume and is left out; what a tick could
  // not use (under one admission) carries over, and a tick that admitted no one is not seen here,
  // so each side allows two admissions of slack.
  let budgetMs = 0
  let afterFirst = 0
  for (let i = 1; i < ticks.length; i++) {
    budgetMs += Math.min((ticks[i]?.[0] ?? 0) - (ticks[i - 1]?.[0] ?? 0), 1000)
    afterFirst += ticks[i]?.[1] ?? 0
  }
  const allowed = (budgetMs * RATE) / 1000
  t.ok(afterFirst <= allowed + 2, `never ahead of the rate: ${afterFirst} admitted, ${allowed.toFixed(1)} allowed`)
  t.ok(afterFirst >= allowed - 2, `never behind it either: ${afterFirst} admitted, ${allowed.toFixed(1)} allowed`)
  t.ok(
    ticks.every(([, admitted]) => admitted <= RATE + 1),
    `no tick admits more than a second's worth (most in one: ${Math.max(...ticks.map(([, n]) => n))})`,
  )
  // The reported rate is an average over whole seconds of Redis's tally, so no more than its busiest second.
  const stats = await instance(0).api.get('/admin/queue', { headers: admin })
  const busiestSecond = Math.max(...Object.values(await redis.hgetall(keys.admissions)).map(Number))
  const measured = stats.body.data.admittedPerSecond
  t.ok(measured > 0 && measured <= busiestSecond, `measured rate ${measured}/s; busiest second ${busiestSecond}`)
})
