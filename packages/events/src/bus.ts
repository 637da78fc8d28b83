import {
  counter,
  createBlockingRedis,
  gauge,
  isCluster,
  type RedisClient,
  type RedisConfig,
  type RedisTarget,
  type WarningLog,
  withTimeout,
} from '@stagepass/kit'
import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq'
import type { RedisOptions } from 'ioredis'
import { closeBullmq, keepCopiesOf } from './close.js'
import { type ConsumerName, type EventName, type EventPayloads, SUBSCRIPTIONS } from './events.js'
import { type BullmqObservation, observeConnection, observeQueue, observeWorker, stderrLog } from './observe.js'

export interface EventBusOptions {
  redisUrl: string
  /** The deployment's REDIS_CLUSTER_NODES: BullMQ on a Redis Cluster (empty or absent: the Redis at `redisUrl`). */
  redisClusterNodes?: string | undefined
  /** The deployment's REDIS_PREFIX (`sp:`); BullMQ keys live under `<prefix>bull:` (`<prefix>{bull}:` on a cluster). */
  redisPrefix: string
  /** Where connection, queue and worker errors and failed jobs are reported (throttled); stderr by default. */
  log?: WarningLog
}

/** Where BullMQ's queues are: the deployment's Redis and REDIS_PREFIX. */
export type BullmqRedis = Pick<EventBusOptions, 'redisUrl' | 'redisClusterNodes' | 'redisPrefix'>

export const bullmqRedisOf = (config: RedisConfig): BullmqRedis => ({
  redisUrl: config.REDIS_URL,
  redisClusterNodes: config.REDIS_CLUSTER_NODES,
  redisPrefix: config.REDIS_PREFIX,
})

export interface EventMeta {
  /** The publisher's id for this event (the outbox row id): the idempotency key for consumers. */
  eventId: string
  attempt: number
}

export type EventHandlers = {
  [E in EventName]?: (payload: EventPayloads[E], meta: EventMeta) => Promise<void>
}

export const queueName = (consumer: ConsumerName) => `events-${consumer}`

/** Where BullMQ's connections go: the bus options' Redis. */
export const redisTargetOfBus = ({ redisUrl, redisClusterNodes }: BullmqRedis): RedisTarget => ({
  url: redisUrl,
  clusterNodes: redisClusterNodes,
})

/** A connection for BullMQ to the bus's Redis (blocking: retries forever unless `options` say otherwise), its errors reported. */
export function bullmqConnection(
  bus: BullmqRedis,
  observation: BullmqObservation,
  options: RedisOptions = {},
): RedisClient {
  const connection = createBlockingRedis(redisTargetOfBus(bus), options)
  observeConnection(connection, observation)
  keepCopiesOf(connection)
  return connection
}

/**
 * BullMQ's key prefix. BullMQ's scripts touch several keys of a queue at once, so on a Redis Cluster
 * the prefix is a hash tag, `<prefix>{bull}`, and every queue's keys share one slot. A single Redis
 * keeps `<prefix>bull`, the keys it has always had, so its jobs outlive an upgrade.
 */
export const bullPrefix = (options: BullmqRedis) =>
  isCluster(redisTargetOfBus(options)) ? `${options.redisPrefix}{bull}` : `${options.redisPrefix}bull`

// BullMQ refuses custom job ids that look like integers, and outbox ids are integers.
const jobIdOf = (eventId: string) => `event-${eventId}`
const eventIdOf = (jobId: string | undefined) => String(jobId).replace(/^event-/, '')

const published = counter('events_published_total', 'Events enqueued, by event and consumer', ['event', 'consumer'])
const consumed = counter('events_consumed_total', 'Events handled, by consumer, event and outcome', [
  'consumer',
  'event',
  'outcome',
])

/** An event as the publisher sends it: its name, its payload and the publisher's id for it. */
export interface PublishedEvent<E extends EventName = EventName> {
  event: E
  payload: EventPayloads[E]
  eventId: string
}

/** A job per event and subscriber, its id the event's, retried with backoff and kept a while once done. */
const jobOptions = (eventId: string) => ({
  jobId: jobIdOf(eventId),
  attempts: 12,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
})

/**
 * Publishes integration events to their subscribers' BullMQ queues. `eventId` becomes the BullMQ
 * job id, so publishing the same event twice (a relay retry) enqueues it once per subscriber.
 */
export class EventPublisher {
  readonly #queues = new Map<ConsumerName, Queue>()
  readonly #connection: RedisClient
  readonly #prefix: string
  readonly #log: WarningLog

  constructor(options: EventBusOptions) {
    const { log = stderrLog } = options
    // Fails fast while Redis is down, so the outbox relay can retry later instead of hanging.
    this.#connection = bullmqConnection(
      options,
      { log, queue: 'events' },
      { maxRetriesPerRequest: 1, enableOfflineQueue: false },
    )
    this.#prefix = bullPrefix(options)
    this.#log = log
  }

  #queue(consumer: ConsumerName): Queue {
    let queue = this.#queues.get(consumer)
    if (!queue) {
      queue = new Queue(queueName(consumer), {
        connection: this.#connection as ConnectionOptions,
        prefix: this.#prefix,
      })
      observeQueue(queue, { log: this.#log, queue: queueName(consumer) })
      this.#queues.set(consumer, queue)
    }
    return queue
  }

  async publish<E extends EventName>(event: E, payload: EventPayloads[E], eventId: string): Promise<void> {
    const [outcome] = await this.publishAll([{ event, payload, eventId }])
    if (outcome?.status === 'rejected') throw outcome.reason
  }

  /**
   * Publishes events together: each subscriber's jobs go to its queue in one `addBulk` (one pipeline,
   * one round trip), so the outbox relay's batch costs a round trip per subscriber, not one per event
   * and subscriber. Answers each event's outcome, in order: published when every subscriber's
   * bulk was taken. A bulk that failed fails its events, which the relay publishes again; the ones a
   * subscriber did take are deduplicated by their job ids then.
   */
  async publishAll(events: readonly PublishedEvent[]): Promise<PromiseSettledResult<void>[]> {
    const byConsumer = new Map<ConsumerName, PublishedEvent[]>()
    for (const e of events) {
      for (const consumer of SUBSCRIPTIONS[e.event]) {
        const some = byConsumer.get(consumer)
        if (some) some.push(e)
        else byConsumer.set(consumer, [e])
      }
    }
    const failures = new Map<PublishedEvent, unknown>()
    await Promise.all(
      [...byConsumer].map(async ([consumer, some]) => {
        try {
          await this.#queue(consumer).addBulk(
            some.map(({ event, payload, eventId }) => ({ name: event, data: payload, opts: jobOptions(eventId) })),
          )
          for (const { event } of some) published.inc({ event, consumer })
        } catch (err) {
          for (const e of some) failures.set(e, err)
        }
      }),
    )
    return events.map((e) =>
      failures.has(e) ? { status: 'rejected', reason: failures.get(e) } : { status: 'fulfilled', value: undefined },
    )
  }

  /** Waiting, active, delayed and failed jobs per consumer queue (for metrics and tests). */
  async jobCounts(): Promise<Record<string, Record<string, number>>> {
    const counts: Record<string, Record<string, number>> = {}
    for (const consumer of Object.values(SUBSCRIPTIONS).flat()) {
      counts[consumer] = await this.#queue(consumer).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')
    }
    return counts
  }

  async close(): Promise<void> {
    await closeBullmq([...this.#queues.values()], [this.#connection], { log: this.#log, queue: 'events' })
  }
}

/** A running consumer of one subscriber's queue. */
export interface EventConsumer {
  readonly worker: Worker
  /** Lets the handlers in progress finish, within BULLMQ_CLOSE_LIMIT_MS (close.ts). */
  close(): Promise<void>
}

/**
 * Consumes one subscriber's queue. Handlers must be idempotent: a job can be delivered again
 * after a crash. When a handler throws, the job runs again after an exponential backoff of 0.5 s,
 * 1 s, 2 s, …, 12 attempts in all (the publisher's job options); then it stays failed for 7 days,
 * to be listed and replayed (`failed-jobs.ts`).
 */
export function consumeEvents(
  consumer: ConsumerName,
  handlers: EventHandlers,
  options: EventBusOptions & {
    concurrency?: number
    /** At most one warning per source this often (ms; 5 s by default). */
    warnEveryMs?: number
  },
): EventConsumer {
  const { log = stderrLog, concurrency = 8, warnEveryMs } = options
  const observation = { log, queue: queueName(consumer), consumer, ...(warnEveryMs ? { warnEveryMs } : {}) }
  const connection = bullmqConnection(options, observation)
  const worker = new Worker(
    queueName(consumer),
    async (job: Job) => {
      const handler = handlers[job.name as EventName] as
        | ((payload: unknown, meta: EventMeta) => Promise<void>)
        | undefined
      if (!handler) return
      try {
        await handler(job.data, { eventId: eventIdOf(job.id), attempt: job.attemptsMade + 1 })
        consumed.inc({ consumer, event: job.name, outcome: 'ok' })
      } catch (err) {
        consumed.inc({ consumer, event: job.name, outcome: 'error' })
        throw err
      }
    },
    { connection: connection as ConnectionOptions, prefix: bullPrefix(options), concurrency, autorun: true },
  )
  observeWorker(worker, observation)
  return { worker, close: () => closeBullmq([worker], [connection], observation) }
}

/** Gauge of BullMQ job counts per consumer queue and state, read at scrape time. */
export function registerJobCountGauge(publisher: EventPublisher): void {
  gauge('bullmq_jobs', 'BullMQ jobs by consumer queue and state', ['queue', 'state'], async function () {
    try {
      // A scrape must not hang while Redis is down.
      const counts = await withTimeout(publisher.jobCounts(), 1000)
      for (const [queue, states] of Object.entries(counts)) {
        for (const [state, n] of Object.entries(states)) this.set({ queue: queueName(queue as ConsumerName), state }, n)
      }
    } catch {
      // Redis unreachable at scrape time: keep the last values.
    }
  })
}
