import { createRedis, redisReady } from '@stagepass/kit'
import { startRedisCluster } from '@stagepass/testkit'
import t from 'tap'
import { rateLimitKeyPrefix } from '../src/rate-limit/rate-limiter.js'
import { ROUTE_GROUPS } from '../src/rate-limit/route-groups.js'
import { createWindowCounter } from '../src/rate-limit/window-counter.js'

const cluster = await startRedisCluster(t)

t.test('on Redis Cluster each route group counts its address and user limits in one call', async (t) => {
  const redis = createRedis({ url: 'redis://127.0.0.1:6379', clusterNodes: cluster.nodes })
  t.teardown(() => redis.disconnect())
  await redisReady(redis, 5000)
  const countHits = createWindowCounter(redis)
  for (const group of ROUTE_GROUPS) {
    const slot = rateLimitKeyPrefix('sp-test:', group)
    const keys = [`${slot}ip:127.0.0.1`, `${slot}user:7`]
    // Three requests of one moment: one script call with both keys (a CROSSSLOT error would fail it).
    const counts = await Promise.all([1, 2, 3].map(() => countHits(slot, keys, [10_000, 10_000])))
    t.same(
      counts.map((request) => request.map((key) => key.count)),
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      `${group}: each request counted once on both keys`,
    )
  }
})
