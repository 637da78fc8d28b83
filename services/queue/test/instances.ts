import { concurrently } from '@stagepass/testkit'
import type { Test } from 'tap'
import type { QueueConfig } from '../src/config.js'
import { startQueueService } from './helpers.js'

/** Three instances of the queue service sharing one Redis prefix, as `SCALE_QUEUE=3` runs them. */
export async function threeInstances(t: Test, config: QueueConfig) {
  const instances: Instance[] = []
  for (let i = 0; i < 3; i++) instances.push(await startQueueService(t, config))
  return (i: number) => instances[i % 3] as Instance
}

export type Instance = Awaited<ReturnType<typeof startQueueService>>
export type Instances = Awaited<ReturnType<typeof threeInstances>>

/** Joins `count` users at once through the instances in turn; returns user ids in join order. */
export async function joinAll(t: Test, instance: Instances, count: number, base: number) {
  const joins = await concurrently(count, (i) => instance(i).api.post('/queue/tokens', { userId: base + i }))
  const places = joins.map((r) => r.body.data.queueOrder as number)
  t.same(
    [...places].sort((a, b) => a - b),
    Array.from({ length: count }, (_, i) => i),
    `${count} concurrent joins got the places 0..${count - 1}, each once`,
  )
  const byPlace: number[] = []
  joins.forEach((r, i) => {
    byPlace[r.body.data.queueOrder as number] = base + i
  })
  return byPlace
}
