import { Type } from '@sinclair/typebox'
import { bullmqRedisOf, CONSUMERS, FailedJobs, queueName } from '@stagepass/events'
import { ConfigError, loadConfig, redisConfigSchema, redisSecrets } from '@stagepass/kit'

/** Every queue whose jobs can fail for good: the event consumers' and booking's own. */
const JOB_QUEUES = [...CONSUMERS.map(queueName), 'booking-hold-expiry', 'booking-periodic']

const settingsSchema = Type.Object({ ...redisConfigSchema })
const usage = 'usage: stagepass jobs failed [queue…] | jobs replay <queue> [jobId…]'

/**
 * `jobs failed [queue…]`: one JSON line per job that exhausted its retries (every queue by
 * default). `jobs replay <queue> [jobId…]`: puts those jobs (all of the queue's failed jobs when
 * none is named) back to wait with their attempts reset, once the cause is fixed. Both act on the
 * deployment that REDIS_URL (or REDIS_CLUSTER_NODES) and REDIS_PREFIX name.
 */
export async function jobs(args: string[]): Promise<number> {
  const [action, ...rest] = args
  const unknown = rest.filter((queue, i) => (action === 'failed' || i === 0) && !JOB_QUEUES.includes(queue))
  if ((action !== 'failed' && action !== 'replay') || (action === 'replay' && !rest[0]) || unknown.length) {
    const known = `queues: ${JOB_QUEUES.join(', ')}`
    throw new ConfigError(unknown.length ? `unknown queue "${unknown[0]}"; ${known}` : `${usage}\n${known}`)
  }
  const settings = loadConfig(settingsSchema, process.env, redisSecrets)
  const failed = new FailedJobs(bullmqRedisOf(settings))
  try {
    if (action === 'failed') {
      for (const queue of rest.length ? rest : JOB_QUEUES) {
        for (const job of await failed.list(queue)) process.stdout.write(`${JSON.stringify(job)}\n`)
      }
      return 0
    }
    const [queue = '', ...ids] = rest
    const replayed = await failed.replay(queue, ids)
    process.stdout.write(`${JSON.stringify({ queue, replayed })}\n`)
    return 0
  } finally {
    await failed.close()
  }
}
