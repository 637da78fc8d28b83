/**
 * Times the opening draw of a large pre-queue on a real Redis: fills the pre-queue in bulk as a
 * million pre-queue joins would leave it (random draw keys, token ids), schedules the opening in
 * the past, and times the first script after it (STATS), which performs the draw and reads the
 * numbers back. Median of a few runs.
 *
 *   node services/queue/dist/bench/opening-draw.js [--users 1000000] [--runs 5] [--prefix sp-draw-bench:]
 *
 * It writes under its own prefix only, refuses to start if keys exist there, and removes them.
 */
import { openScratchStore } from '../src/scripts/scratch-store.js'
import { measureRuns, median, report, scratchBenchOptions } from './scratch-bench.js'

const { users, runs, prefix, redisUrl } = scratchBenchOptions({ users: 1_000_000, runs: 5, prefix: 'sp-draw-bench:' })
const scratch = await openScratchStore(redisUrl, prefix)
const { redis, store } = scratch

async function fillPreQueue() {
  for (let from = 1; from <= users; from += 10_000) {
    const pipeline = redis.pipeline()
    for (let batch = from; batch < Math.min(from + 10_000, users + 1); batch += 1000) {
      const members: Array<string | number> = []
      const tokens: Array<string | number> = []
      for (let id = batch; id < Math.min(batch + 1000, users + 1); id++) {
        members.push(Math.random(), id)
        tokens.push(id, id)
      }
      pipeline.zadd(store.keys.preQueue, ...members)
      pipeline.hset(store.keys.drawnTokens, ...tokens)
    }
    await pipeline.exec()
  }
  await redis.set(store.keys.sequence, users)
}

/** Median microseconds of a status lookup of a random drawn user (sequential: latency). */
async function statusMicros(samples: number): Promise<number> {
  const micros: number[] = []
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint()
    await store.statusOf(1 + Math.floor(Math.random() * users))
    micros.push(Number(process.hrtime.bigint() - started) / 1000)
  }
  return median(micros)
}

const drawMs: number[] = []
const lookups: number[] = []
await measureRuns(scratch, runs, async (run) => {
  await fillPreQueue()
  await redis.hset(store.keys.settings, 'opensAt', '1')
  const started = process.hrtime.bigint()
  const stats = await store.stats()
  drawMs.push(Number(process.hrtime.bigint() - started) / 1e6)
  if (stats.waiting !== users || stats.preQueue !== 0 || stats.lastDraw?.users !== users) {
    throw new Error(`the draw left ${stats.waiting} in line and ${stats.preQueue} in the pre-queue`)
  }
  lookups.push(await statusMicros(1000))
  process.stdout.write(
    `run ${run + 1}: draw ${drawMs.at(-1)?.toFixed(2)} ms, status ${lookups.at(-1)?.toFixed(0)} µs\n`,
  )
})
report({
  users,
  runs,
  medianDrawMs: Math.round(median(drawMs) * 1000) / 1000,
  medianStatusMicrosAfterDraw: Math.round(median(lookups)),
})
