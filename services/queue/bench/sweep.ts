/**
 * Times the sweep on a real Redis: fills the line in bulk with users who all stopped polling, as a
 * flood of joins that never come back leaves it, then times one tick with an unbounded budget,
 * which clears them batch by batch. Reports users cleared per second and the time of one batch
 * (how long Redis serves nothing else). Median of a few runs.
 *
 *   node services/queue/dist/bench/sweep.js [--users 200000] [--runs 5] [--prefix sp-sweep-bench:]
 *
 * It writes under its own prefix only, refuses to start if keys exist there, and removes them.
 */
import { openScratchStore } from '../src/scripts/scratch-store.js'
import { measureRuns, median, report, scratchBenchOptions } from './scratch-bench.js'

const { users, runs, prefix, redisUrl } = scratchBenchOptions({ users: 200_000, runs: 5, prefix: 'sp-sweep-bench:' })
const scratch = await openScratchStore(redisUrl, prefix)
const { redis, store } = scratch

/** The line as `users` joins leave it (place number as score), every one last seen an hour ago. */
async function fillAbandonedLine() {
  const seen = Date.now() - 3_600_000
  for (let from = 1; from <= users; from += 10_000) {
    const pipeline = redis.pipeline()
    for (let batch = from; batch < Math.min(from + 10_000, users + 1); batch += 1000) {
      const line: Array<string | number> = []
      const polls: Array<string | number> = []
      for (let id = batch; id < Math.min(batch + 1000, users + 1); id++) {
        line.push(id, id)
        polls.push(seen, id)
      }
      pipeline.zadd(store.keys.waiting, ...line)
      pipeline.zadd(store.keys.lastSeen, ...polls)
    }
    await pipeline.exec()
  }
  await redis.set(store.keys.sequence, users)
  await redis.hset(store.keys.settings, 'paused', '1')
}

const perSecond: number[] = []
const batchMs: number[] = []
await measureRuns(scratch, runs, async (run) => {
  await fillAbandonedLine()
  const started = process.hrtime.bigint()
  const tick = await store.admitWaitingUsers(Number.POSITIVE_INFINITY)
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (tick.abandoned !== users || tick.waiting !== 0) {
    throw new Error(`the sweep cleared ${tick.abandoned} of ${users} and left ${tick.waiting}`)
  }
  perSecond.push((users / ms) * 1000)
  batchMs.push(ms / tick.sweepBatches)
  process.stdout.write(
    `run ${run + 1}: ${users} cleared in ${ms.toFixed(0)} ms (${tick.sweepBatches} batches), ` +
      `${Math.round(perSecond.at(-1) ?? 0)} users/s\n`,
  )
})
report({
  users,
  runs,
  medianUsersClearedPerSecond: Math.round(median(perSecond)),
  medianBatchMs: Math.round(median(batchMs) * 100) / 100,
})
