import type { BookingDb, BookingTransaction, Statement } from '@stagepass/db'
import { inTransaction } from '@stagepass/db'
import type { EventName, EventPayloads, PublishedEvent } from '@stagepass/events'
import { type Clock, systemClock, throttledWarning, withTimeout } from '@stagepass/kit'
import type { FastifyBaseLogger } from 'fastify'
import { type RawBuilder, sql } from 'kysely'
import { addOutboxLagProbe, outboxPublished } from './metrics.js'

type Trx = BookingTransaction

/**
 * Where the relay sends events: the EventPublisher (BullMQ), deduplicated by event id. Answers each
 * event's outcome, in order; a failed one is tried again later.
 */
export interface EventSink {
  publishAll(events: readonly PublishedEvent[]): Promise<PromiseSettledResult<void>[]>
}

/** Records an event in the same transaction as the change that caused it. */
export async function enqueueEvent<E extends EventName>(
  trx: Trx,
  event: E,
  payload: EventPayloads[E],
  now: Date,
): Promise<void> {
  await trx
    .insertInto('outbox')
    .values({ event, payload: JSON.stringify(payload), created_at: now, next_attempt_at: now })
    .execute()
}

/**
 * The statement that records an event in a transaction sent as one script (`inOneRoundTrip`,
 * `inTwoScripts`), right after the insert whose generated id goes into the payload at `idKey`
 * (`last_insert_id()`); `fromSql` sets other fields from SQL values of the script (a session
 * variable), never from a subquery, so the insert stays a plain `insert … values`.
 */
export function eventOfLastInsert<E extends EventName>(
  db: BookingDb,
  event: E,
  payload: EventPayloads[E],
  idKey: keyof EventPayloads[E] & string,
  now: Date,
  fromSql: Partial<Record<keyof EventPayloads[E] & string, RawBuilder<unknown>>> = {},
): Statement {
  const sets = [sql`${`$.${idKey}`}, last_insert_id()`]
  for (const [key, value] of Object.entries(fromSql)) sets.push(sql`${`$.${key}`}, ${value as RawBuilder<unknown>}`)
  return db
    .insertInto('outbox')
    .values({
      event,
      payload: sql`json_set(${JSON.stringify(payload)}, ${sql.join(sets)})`,
      created_at: now,
      next_attempt_at: now,
    })
    .compile()
}

/** Retry delay after `attempts` failed publishes: 250 ms doubling, capped at 10 s, with jitter. */
function retryDelayMs(attempts: number): number {
  const base = Math.min(250 * 2 ** Math.max(0, attempts - 1), 10_000)
  return Math.round(base * (0.75 + Math.random() * 0.5))
}

const payloadOf = (raw: unknown) => (typeof raw === 'string' ? JSON.parse(raw) : raw)

export interface RelayOptions {
  db: BookingDb
  sink: EventSink
  pollIntervalMs: number
  batchSize?: number
  publishTimeoutMs?: number
  log: FastifyBaseLogger
  /** Says which events are due and when a failed one is tried again; the system clock unless a test moves its own. */
  clock?: Clock
}

/**
 * Publishes committed outbox events and marks them sent. Each batch is claimed with
 * `FOR UPDATE SKIP LOCKED`, so any number of instances relay side by side without sending a row
 * twice; a crash between publish and mark re-publishes with the same event id, which BullMQ drops.
 */
export class OutboxRelay {
  readonly #db: BookingDb
  readonly #sink: EventSink
  readonly #pollIntervalMs: number
  readonly #batchSize: number
  readonly #publishTimeoutMs: number
  readonly #log: FastifyBaseLogger
  readonly #clock: Clock
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #again = false
  #stopped = true
  #removeProbe: (() => void) | undefined
  readonly #warnFailure = throttledWarning()
  readonly #warnUnpublished = throttledWarning()

  constructor({
    db,
    sink,
    pollIntervalMs,
    batchSize = 100,
    publishTimeoutMs = 2000,
    log,
    clock = systemClock,
  }: RelayOptions) {
    this.#db = db
    this.#sink = sink
    this.#pollIntervalMs = pollIntervalMs
    this.#batchSize = batchSize
    this.#publishTimeoutMs = publishTimeoutMs
    this.#log = log
    this.#clock = clock
  }

  start(): void {
    this.#stopped = false
    this.#removeProbe = addOutboxLagProbe(() => oldestUnsentAgeSeconds(this.#db))
    this.#schedule(0)
  }

  /** Relays soon: called after a local commit wrote events, so they do not wait for the next poll. */
  nudge(): void {
    if (this.#stopped) return
    if (this.#running) {
      this.#again = true
      return
    }
    this.#schedule(0)
  }

  /** Stops polling; events committed by the last requests still get one more chance to go out. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#removeProbe?.()
    await this.#running
    await this.#drain().catch((err) => this.#log.warn({ err }, 'outbox not drained at shutdown; kept for later'))
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#tick(), ms)
  }

  #tick(): void {
    this.#running = this.#drain()
      .catch((err) => {
        // The database being away would otherwise log on every poll.
        this.#warnFailure(this.#log, { err }, 'outbox relay failed; retrying')
      })
      .finally(() => {
        this.#running = undefined
        if (this.#stopped) return
        const again = this.#again
        this.#again = false
        this.#schedule(again ? 0 : this.#pollIntervalMs)
      })
  }

  async #drain(): Promise<void> {
    // A full batch means more are probably waiting: keep going while the sink accepts them.
    for (;;) {
      const { sent, failed, claimed } = await this.relayOnce()
      if (claimed < this.#batchSize || failed > 0 || sent === 0 || this.#stopped) return
    }
  }

  /** Claims one batch of due events, publishes them, and records each outcome. */
  async relayOnce(): Promise<{ claimed: number; sent: number; failed: number }> {
    const now = new Date(this.#clock.now())
    return inTransaction(this.#db, async (trx) => {
      const rows = await trx
        .selectFrom('outbox')
        .select(['id', 'event', 'payload', 'attempts'])
        .where('state', '=', 'PENDING')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(this.#batchSize)
        .forUpdate()
        .skipLocked()
        .execute()
      if (rows.length === 0) return { claimed: 0, sent: 0, failed: 0 }
      const results = await withTimeout(
        this.#sink.publishAll(
          rows.map((row) => ({
            event: row.event as EventName,
            payload: payloadOf(row.payload),
            eventId: String(row.id),
          })),
        ),
        this.#publishTimeoutMs,
      ).catch((err: unknown) => rows.map((): PromiseSettledResult<void> => ({ status: 'rejected', reason: err })))
      const sentIds: number[] = []
      const doneAt = new Date(this.#clock.now())
      for (const [i, result] of results.entries()) {
        const row = rows[i] as (typeof rows)[number]
        if (result.status === 'fulfilled') {
          sentIds.push(row.id)
          continue
        }
        const attempts = row.attempts + 1
        const error = String((result.reason as Error)?.message ?? result.reason).slice(0, 500)
        await trx
          .updateTable('outbox')
          .set({
            attempts,
            last_error: error,
            next_attempt_at: new Date(doneAt.getTime() + retryDelayMs(attempts)),
          })
          .where('id', '=', row.id)
          .execute()
      }
      if (sentIds.length) {
        await trx
          .updateTable('outbox')
          .set({ state: 'SENT', sent_at: doneAt, attempts: sql`attempts + 1` })
          .where('id', 'in', sentIds)
          .execute()
      }
      const failed = rows.length - sentIds.length
      if (sentIds.length) outboxPublished.inc({ outcome: 'sent' }, sentIds.length)
      if (failed) {
        outboxPublished.inc({ outcome: 'failed' }, failed)
        this.#warnUnpublished(this.#log, { failed, claimed: rows.length }, 'outbox events not published; will retry')
      }
      return { claimed: rows.length, sent: sentIds.length, failed }
    })
  }
}

/** Seconds since the oldest unpublished event was committed; 0 when everything is published. */
export async function oldestUnsentAgeSeconds(db: BookingDb, now = new Date()): Promise<number> {
  const row = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.min('created_at').as('oldest'))
    .where('state', '=', 'PENDING')
    .executeTakeFirst()
  const oldest = row?.oldest ? new Date(row.oldest as Date) : undefined
  return oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0
}

/** Deletes published events older than `before`, in small batches so no lock is held for long. */
export async function pruneSentEvents(db: BookingDb, before: Date, batch = 1000): Promise<number> {
  let removed = 0
  for (;;) {
    const result = await db
      .deleteFrom('outbox')
      .where('state', '=', 'SENT')
      .where('sent_at', '<', before)
      .limit(batch)
      .executeTakeFirst()
    const n = Number(result.numDeletedRows)
    removed += n
    if (n < batch) return removed
  }
}
