import { sleep } from '@stagepass/testkit'
import t from 'tap'
import { admin, inspectQueue, queueConfig } from './helpers.js'
import { joinAll, threeInstances } from './instances.js'

/** Admissions to watch for: four times the cap, so tokens must expire and be replaced. */
const WATCH_FOR = 400

t.test('three instances ticking at once never exceed maxActive and admit strictly in join order', async (t) => {
  const config = queueConfig(t, { QUEUE_ACTIVE_TTL_SECONDS: 1, QUEUE_TICK_MS: 50 })
  const { redis, store, keys } = inspectQueue(t, config)
  // Admission far above the cap, and short-lived tokens, so the cap is what limits admission.
  await store.changeSettings({ paused: true, maxActive: 100, admitPerSecond: 2000 })
  const instance = await threeInstances(t, config)
  const lineOrder = await joinAll(t, instance, 2000, 10_000)
  const admittedSoFar = async () => lineOrder.length - (await redis.zcard(keys.waiting))

  const unpaused = await instance(1).api.call('PATCH', '/admin/queue', { body: { paused: false }, headers: admin })
  t.equal(unpaused.status, 200)
  const everAdmitted = new Set<string>()
  let maxSeen = 0
  let overCap = 0
  let samples = 0
  // Sampled until enough users went through, however long a busy machine takes for that.
  while ((await admittedSoFar()) < WATCH_FOR) {
    const [members, viaAdmin] = await Promise.all([
      redis.zrange(keys.active, 0, -1),
      instance(samples).api.get('/admin/queue', { headers: admin }),
    ])
    samples++
    for (const user of members) everAdmitted.add(user)
    const active = Math.max(members.length, viaAdmin.body.data.active ?? 0)
    maxSeen = Math.max(maxSeen, active)
    if (active > 100) overCap++
    await sleep(20) // the pace of sampling, not a wait for anything
  }
  // Each tick is one script that reads the setting: once the change is in, no tick admits anyone.
  await store.changeSettings({ paused: true })
  for (const user of await redis.zrange(keys.active, 0, -1)) everAdmitted.add(user)

  t.equal(overCap, 0, `ACTIVE stayed ≤ 100 in all ${samples} samples`)
  t.equal(maxSeen, 100, 'the cap was reached, so it was what held admission back')
  const waiting = await redis.zrange(keys.waiting, 0, -1)
  const admittedCount = lineOrder.length - waiting.length
  t.ok(admittedCount >= WATCH_FOR, `tokens expired and were replaced: ${admittedCount} admitted`)
  const admissions = Object.values(await redis.hgetall(keys.admissions)).reduce((sum, n) => sum + Number(n), 0)
  t.equal(admissions, admittedCount, 'everyone who left the line was admitted, none dropped')
  const firstInLine = new Set(lineOrder.slice(0, admittedCount).map(String))
  t.same(
    [...everAdmitted].filter((user) => !firstInLine.has(user)),
    [],
    `the ${everAdmitted.size} admitted users seen are among the first ${admittedCount} in line`,
  )
  t.same(waiting, lineOrder.slice(admittedCount).map(String), 'everyone else still waits, in join order')
})
