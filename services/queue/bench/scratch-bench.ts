import { parseArgs } from 'node:util'
import type { Redis } from 'ioredis'

/**
 * The options of a benchmark that fills a scratch prefix on a real Redis and times something a few
 * times: `--users`, `--runs`, `--prefix` (its own, see openScratchStore) and `--redis-url`.
 */
export function scratchBenchOptions(defaults: { users: number; runs: number; prefix: string }) {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: String(defaults.users) },
      runs: { type: 'string', default: String(defaults.runs) },
      prefix: { type: 'string', default: defaults.prefix },
      'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    },
  })
  const users = Number(values.users)
  const runs = Number(values.runs)
  if (!Number.isInteger(users) || users < 1 || !Number.isInteger(runs) || runs < 1) {
    throw new Error('--users and --runs must be positive integers')
  }
  return { users, runs, prefix: values.prefix, redisUrl: values['redis-url'] }
}

export function median(values: number[]): number {
  return [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number
}

/**
 * Runs `measure` `runs` times on a scratch store, removing its keys after each run and at the end,
 * failed or not, then closes the connection.
 */
export async function measureRuns(
  scratch: { redis: Redis; allKeys: string[] },
  runs: number,
  measure: (run: number) => Promise<void>,
): Promise<void> {
  try {
    for (let run = 0; run < runs; run++) {
      await measure(run)
      await scratch.redis.unlink(...scratch.allKeys)
    }
  } finally {
    await scratch.redis.unlink(...scratch.allKeys)
    await scratch.redis.quit()
  }
}

/** The summary line: one JSON object. */
export function report(summary: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(summary)}\n`)
}
