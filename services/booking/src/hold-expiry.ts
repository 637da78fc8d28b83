import {
  type BullmqRedis,
  bullmqConnection,
  bullPrefix,
  closeBullmq,
  observeQueue,
  observeWorker,
} from '@stagepass/events'
import { batchPerTurn, type Clock, orEachAlone, type RedisClient, type WarningLog, withTimeout } from '@stagepass/kit'
import { type ConnectionOptions, DelayedError, type Job, Queue, Worker } from 'bullmq'

const QUEUE = 'booking-hold-expiry'
// Run just after the hold lapses, so the job never finds it a few milliseconds early.
const MARGIN_MS = 50

interface ExpiryJob {
  reservationId: number
}

interface Expiry {
  reservationId: number
  expiresAt: Date
}

/** When the hold is not yet due (clock skew between instances), the time to look again. */
export type ExpireHold = (reservationId: number) => Promise<{ notBefore?: Date }>

/**
 * One BullMQ delayed job per hold, due when the hold lapses. The delay is reckoned by booking's
 * clock (the one that set the expiry); BullMQ then keeps it by Redis's clock and the worker's timers,
 * so a job can run a little early on a skewed instance: `expire` then finds the hold not yet lapsed
 * by booking's clock and names the time to look again. Scheduling is best effort: when
 * Redis is down the periodic sweep releases the hold instead, and the reserve path treats a
 * lapsed hold as free whatever has run.
 *
 * The jobs of the holds made in one turn of the event loop (a stampede's winners) are added
 * together, one `addBulk` (one pipeline), as the outbox publishes its events. A bulk that fails is
 * tried job by job, so each hold's outcome is its own; a job the bulk did add is kept, its id being
 * the hold's.
 */
export class HoldExpiryQueue {
  readonly #connection: RedisClient
  readonly #queue: Queue<ExpiryJob>
  readonly #bus: BullmqRedis
  readonly #prefix: string
  readonly #log: WarningLog
  readonly #clock: Clock
  #worker: Worker<ExpiryJob> | undefined
  #workerConnection: RedisClient | undefined

  constructor(bus: BullmqRedis & { log: WarningLog; clock: Clock }) {
    const { log, clock } = bus
    this.#clock = clock
    this.#bus = bus
    this.#prefix = bullPrefix(bus)
    this.#log = log
    // Fails fast while Redis is down, so a reserve never waits on it.
    this.#connection = bullmqConnection(
      bus,
      { log, queue: QUEUE },
      { maxRetriesPerRequest: 1, enableOfflineQueue: false },
    )
    this.#queue = new Queue<ExpiryJob>(QUEUE, {
      connection: this.#connection as ConnectionOptions,
      prefix: this.#prefix,
    })
    observeQueue(this.#queue, { log, queue: QUEUE })
  }

  readonly #addTogether = batchPerTurn<Expiry, void>((expiries) =>
    orEachAlone(expiries, async (some) => {
      const now = this.#clock.now()
      await this.#queue.addBulk(
        some.map(({ reservationId, expiresAt }) => ({
          name: 'expire',
          data: { reservationId },
          opts: {
            jobId: `hold-${reservationId}`,
            delay: Math.max(0, expiresAt.getTime() - now) + MARGIN_MS,
            attempts: 5,
            backoff: { type: 'exponential', delay: 1000 },
            removeOnComplete: true,
            removeOnFail: { age: 24 * 3600 },
          },
        })),
      )
      return some.map(() => undefined)
    }),
  )

  async schedule(reservationId: number, expiresAt: Date): Promise<void> {
    await withTimeout(this.#addTogether({ reservationId, expiresAt }), 1000, 'scheduling the expiry job')
  }

  startWorker(expire: ExpireHold, concurrency = 16): void {
    const connection = bullmqConnection(this.#bus, { log: this.#log, queue: QUEUE, consumer: 'booking' })
    this.#workerConnection = connection
    this.#worker = new Worker<ExpiryJob>(
      QUEUE,
      async (job: Job<ExpiryJob>, token?: string) => {
        const { notBefore } = await expire(job.data.reservationId)
        if (notBefore && token) {
          await job.moveToDelayed(notBefore.getTime() + MARGIN_MS, token)
          throw new DelayedError()
        }
      },
      { connection: connection as ConnectionOptions, prefix: this.#prefix, concurrency },
    )
    observeWorker(this.#worker, { log: this.#log, queue: QUEUE, consumer: 'booking' })
  }

  jobCounts(): Promise<Record<string, number>> {
    return this.#queue.getJobCounts('waiting', 'active', 'delayed', 'failed')
  }

  async close(): Promise<void> {
    await closeBullmq([this.#worker, this.#queue], [this.#workerConnection, this.#connection], {
      log: this.#log,
      queue: QUEUE,
    })
  }
}
