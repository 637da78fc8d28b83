import { createBlockingRedis } from '@stagepass/kit'
import { type ConnectionOptions, Queue } from 'bullmq'
import { type BullmqRedis, bullPrefix, redisTargetOfBus } from './bus.js'

export interface FailedJob {
  queue: string
  id: string
  name: string
  attempts: number
  failedAt: string | undefined
  reason: string
  data: unknown
}

export type FailedJobsOptions = BullmqRedis

/**
 * Jobs that exhausted their retries stay in their queue's failed set (for the retention the job
 * options give them). An operator lists them, fixes the cause, and replays them: a replayed job
 * goes back to wait with its attempts reset, and consumers are idempotent, so a replay of a job
 * that meanwhile succeeded elsewhere does no harm.
 */
export class FailedJobs {
  readonly #connection
  readonly #prefix: string
  readonly #queues = new Map<string, Queue>()

  constructor(options: FailedJobsOptions) {
    this.#connection = createBlockingRedis(redisTargetOfBus(options), { maxRetriesPerRequest: 1 })
    this.#prefix = bullPrefix(options)
  }

  #queue(name: string): Queue {
    let queue = this.#queues.get(name)
    if (!queue) {
      queue = new Queue(name, { connection: this.#connection as ConnectionOptions, prefix: this.#prefix })
      this.#queues.set(name, queue)
    }
    return queue
  }

  /** The failed jobs of `queue`, oldest failure first, at most `limit`. */
  async list(queue: string, limit = 1000): Promise<FailedJob[]> {
    const jobs = await this.#queue(queue).getFailed(0, limit - 1)
    return jobs
      .filter((job) => job !== undefined)
      .map((job) => ({
        queue,
        id: String(job.id),
        name: job.name,
        attempts: job.attemptsMade,
        failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
        reason: job.failedReason,
        data: job.data,
      }))
      .sort((a, b) => String(a.failedAt).localeCompare(String(b.failedAt)))
  }

  /**
   * Moves failed jobs of `queue` back to wait with their attempts reset: the ones named in `ids`,
   * or every failed job when `ids` is empty. Returns the ids replayed; an id that is not (or no
   * longer) a failed job is left out.
   */
  async replay(queue: string, ids: string[] = []): Promise<string[]> {
    const bull = this.#queue(queue)
    const wanted = ids.length
      ? ids
      : (await bull.getFailed()).filter((job) => job !== undefined).map((j) => String(j.id))
    const replayed: string[] = []
    for (const id of wanted) {
      const job = await bull.getJob(id)
      if (!job || !(await job.isFailed())) continue
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true })
      replayed.push(id)
    }
    return replayed
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()))
    this.#connection.disconnect()
  }
}
