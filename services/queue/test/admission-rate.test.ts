import { sleep } from '@stagepass/testkit'
import t from 'tap'
import { admin, inspectQueue, queueConfig } from './helpers.js'
import { joinAll, RUN_MS, threeInstances } from './instances.js'

t.test('with admitPerSecond 50, three instances admit 500 ± 10% users in 10 s', async (t) => {
  const config = queueConfig(t, { QUEUE_TICK_MS: 100 })
  const { redis, store, keys } = inspectQueue(t, config)
  await store.changeSettings({ paused: true, admitPerSecond: 50, maxActive: 100_000 })
  const instance = await threeInstances(t, config)
  await joinAll(t, instance, 1000, 50_000)

  const unpaused = await instance(2).api.call('PATCH', '/admin/queue', { body: { paused: false }, headers: admin })
  t.equal(unpaused.body.data.paused, false)
  const started = Date.now()
  await sleep(RUN_MS)
  const admitted = await redis.zcard(keys.active)
  const elapsed = Date.now() - started
  await store.changeSettings({ paused: true })
  t.ok(admitted >= 450 && admitted <= 550, `${admitted} admitted in ${elapsed} ms`)
  const stats = await instance(0).api.get('/admin/queue', { headers: admin })
  t.ok(
    Math.abs((stats.body.data.admittedPerSecond ?? 0) - 50) <= 10,
    `measured rate ${stats.body.data.admittedPerSecond}/s`,
  )
})
