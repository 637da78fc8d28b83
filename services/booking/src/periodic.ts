import {
  type BullmqRedis,
  bullmqConnection,
  bullPrefix,
  closeBullmq,
  observeQueue,
  observeWorker,
} from '@stagepass/events'
import { type RedisClient, throttledWarning } from '@stagepass/kit'
import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import { periodicRuns } from './metrics.js'

const QUEUE = 'booking-periodic'
// Until the schedulers are in Redis (it may be down at start-up), try again this often.
const REGISTER_RETRY_MS = 2000

export interface PeriodicTask {
  /** The job scheduler's id and the `task` label of `booking_periodic_runs_total`. */
  name: string
  everyMs: number
  run(): Promise<unknown>
}

/** The interval a scheduler job was due for: its id is `repeat:<scheduler>:<due time in ms>`. */
const dueAt = (job: Job) => Number(String(job.id).split(':').pop())

/**
 * Booking's periodic work, run once per interval across every instance: each task is a BullMQ job
 * scheduler (one per task name, shared by every instance through Redis), and whichever instance's
 * worker takes an interval's job runs it. Instances upsert the same schedulers at start-up, which
 * leaves one schedule; a run that fails is counted and logged, and the next interval runs again.
 * Without Redis, each instance runs the tasks on its own timer until Redis is back.
 */
export class PeriodicWork {
  readonly #connection: RedisClient
  readonly #workerConnection: RedisClient
  readonly #queue: Queue
  readonly #worker: Worker
  readonly #tasks: Map<string, PeriodicTask>
  readonly #log: FastifyBaseLogger
  readonly #fallbacks: NodeJS.Timeout[]
  readonly #running = new Set<Promise<void>>()
  readonly #warnFallback = throttledWarning()
  #retry: NodeJS.Timeout | undefined
  // Set by a connection error, cleared when the connection is ready again.
  #redisLost = false
  #closed = false

  constructor(tasks: PeriodicTask[], bus: BullmqRedis & { log: FastifyBaseLogger }) {
    const { log } = bus
    this.#tasks = new Map(tasks.map((task) => [task.name, task]))
    this.#log = log
    const prefix = bullPrefix(bus)
    const observation = { log, queue: QUEUE, consumer: 'booking' }
    this.#connection = bullmqConnection(bus, observation)
    this.#queue = new Queue(QUEUE, { connection: this.#connection as ConnectionOptions, prefix })
    observeQueue(this.#queue, { log, queue: QUEUE })
    this.#workerConnection = bullmqConnection(bus, observation)
    this.#workerConnection.on('error', () => {
      this.#redisLost = true
    })
    this.#workerConnection.on('ready', () => {
      this.#redisLost = false
    })
    this.#worker = new Worker(QUEUE, (job) => this.#run(job), {
      connection: this.#workerConnection as ConnectionOptions,
      prefix,
      concurrency: tasks.length,
    })
    observeWorker(this.#worker, { log, queue: QUEUE, consumer: 'booking' })
    this.#fallbacks = tasks.map((task) => this.#fallback(task))
    void this.#register()
  }

  async #run(job: Job): Promise<void> {
    const task = this.#tasks.get(job.name)
    if (task) await this.#runTask(task, { dueAt: dueAt(job) })
  }

  async #runTask(task: PeriodicTask, fields: Record<string, unknown>): Promise<void> {
    try {
      await task.run()
      periodicRuns.inc({ task: task.name, outcome: 'ok' })
      this.#log.debug({ task: task.name, ...fields }, 'periodic task ran')
    } catch (err) {
      periodicRuns.inc({ task: task.name, outcome: 'error' })
      throw err
    }
  }

  /**
   * While this instance cannot reach Redis, no scheduler job reaches it either: it runs the task on
   * its own timer instead, as every instance then does (the tasks are conditional or idempotent, so
   * running on several instances is wasted work, never wrong). One run at a time per task.
   */
  #fallback(task: PeriodicTask): NodeJS.Timeout {
    let running = false
    return setInterval(() => {
      if (running || !this.#redisLost) return
      running = true
      const run = this.#runTask(task, { fallback: true })
        .catch((err) => this.#warnFallback(this.#log, { err, task: task.name }, 'periodic task failed'))
        .finally(() => {
          running = false
          this.#running.delete(run)
        })
      this.#running.add(run)
    }, task.everyMs)
  }

  async #register(): Promise<void> {
    const warn = throttledWarning()
    while (!this.#closed) {
      try {
        for (const task of this.#tasks.values()) {
          await this.#queue.upsertJobScheduler(
            task.name,
            { every: task.everyMs },
            {
              name: task.name,
              // One attempt: the next interval is the retry. Failures stay listed for a day.
              opts: { attempts: 1, removeOnComplete: true, removeOnFail: { age: 24 * 3600, count: 1000 } },
            },
          )
        }
        return
      } catch (err) {
        warn(this.#log, { err, queue: QUEUE }, 'periodic work not scheduled yet; retrying')
        await new Promise((resolve) => {
          this.#retry = setTimeout(resolve, REGISTER_RETRY_MS)
        })
      }
    }
  }

  /** Stops taking intervals on this instance (the one running finishes); the schedules stay for the others. */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#retry)
    for (const timer of this.#fallbacks) clearInterval(timer)
    await Promise.all(this.#running)
    await closeBullmq([this.#worker, this.#queue], [this.#workerConnection, this.#connection], {
      log: this.#log,
      queue: QUEUE,
    })
  }
}
