import { counter, type RedisClient, throttledWarning, type WarningLog } from '@stagepass/kit'
import type { Job, Queue, Worker } from 'bullmq'

const failedJobs = counter(
  'bullmq_failed_jobs_total',
  'BullMQ jobs that failed for good (retries exhausted), by queue and consumer; list and replay them with `stagepass jobs`',
  ['queue', 'consumer'],
)

/** For a publisher or consumer built without a logger (tools, tests): one JSON line on stderr. */
export const stderrLog: WarningLog = {
  warn(fields, message) {
    const { err, ...rest } = fields
    const error = err instanceof Error ? { err: { type: err.name, message: err.message } } : {}
    process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), msg: message, ...rest, ...error })}\n`)
  },
}

/** Where a BullMQ connection, queue or worker says what went wrong. */
export interface BullmqObservation {
  log: WarningLog
  /** The queue's name (`events-concert`, `booking-hold-expiry`). */
  queue: string
  /** The consumer the worker runs for (`concert`, `booking`). */
  consumer?: string
  /** At most one warning per source this often (ms). */
  warnEveryMs?: number
}

/**
 * A Redis connection's errors, throttled: while Redis is away ioredis reports every reconnect,
 * and one line every few seconds (with the count left out) says as much.
 */
export function observeConnection(
  connection: RedisClient,
  { log, queue, consumer, warnEveryMs }: BullmqObservation,
): void {
  const warn = throttledWarning(warnEveryMs)
  const source = consumer ? { queue, consumer } : { queue }
  connection.on('error', (err) => warn(log, { err, ...source }, 'BullMQ connection error'))
}

export function observeQueue(bullQueue: Queue, { log, queue, warnEveryMs }: BullmqObservation): void {
  const warn = throttledWarning(warnEveryMs)
  bullQueue.on('error', (err) => warn(log, { err, queue }, 'BullMQ queue error'))
}

/**
 * A worker's errors and its failed jobs (throttled): a job that exhausted its attempts is counted,
 * logged, and stays in the queue's failed set to be replayed.
 */
export function observeWorker(worker: Worker, { log, queue, consumer = queue, warnEveryMs }: BullmqObservation): void {
  const warnError = throttledWarning(warnEveryMs)
  const warnFailed = throttledWarning(warnEveryMs)
  worker.on('error', (err) => warnError(log, { err, queue, consumer }, 'BullMQ worker error'))
  worker.on('failed', (job: Job | undefined, err: Error) => {
    // A job with attempts left goes back to wait; the last failure marks it finished.
    if (!job?.finishedOn) return
    failedJobs.inc({ queue, consumer })
    warnFailed(
      log,
      { err, queue, consumer, jobId: job.id, job: job.name, attempts: job.attemptsMade },
      'BullMQ job failed after its last attempt; replay it with `stagepass jobs replay`',
    )
  })
}
