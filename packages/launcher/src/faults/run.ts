import type { Writable } from 'node:stream'
import { Redis } from 'ioredis'
import { FAULTS, type Fault } from './faults.js'
import { brokenInvariants } from './invariants.js'
import { type Sale, startSale } from './load.js'
import { watchLoggedFailures } from './logged-failures.js'
import { FAULT_SETTINGS, QUEUE_ADMIN_KEY, SALE_OPTION_ID, startFaultSystem } from './system.js'

export interface FaultRunOptions {
  vus: number
  /** Seconds of sale after each fault is injected before the next (the recovery is inside it). */
  secondsPerFault: number
  /** The faults to inject, by name (all by default). */
  only?: string[]
  /** The database the run creates and drops. */
  database: string
  /** Seats on sale (enough for the whole run: a sold-out sale stops loading the payment path). */
  seats: number
  /** Aborts the run (Ctrl-C): the sale and the system are stopped and the database dropped. */
  signal?: AbortSignal
  /** Where the processes' and k6's output goes. */
  output: Writable
  log: (line: string) => void
}

export interface FaultResult {
  fault: string
  what: string
  /** Requests k6 sent from the injection to the end of the fault's slot. */
  requests: number
  /** Of those, the ones whose user got a 5xx or no answer. */
  failed: number
  /** The failures by route and status (`POST /payment/pay 503`). */
  failedBy: Record<string, number>
  /** What the processes logged as failed in the slot, by cause (`gateway → booking ECONNRESET: read ECONNRESET`). */
  loggedFailures: Record<string, number>
  /** Seconds between the first and the last failure of the slot (0 with none or one). */
  failureWindowSeconds: number
  /** Seconds from the injection until every process it touched was ready again. */
  recoverySeconds: number
  /** What the database and the queues showed broken after it (empty: every invariant holds). */
  broken: string[]
  /** Requests answered in the last seconds of the slot: the system serves again. */
  servedAfter: number
}

export interface FaultRun {
  results: FaultResult[]
  /** What the k6 teardown found broken through the API, and the SQL checks after the sale. */
  finalBroken: string[]
  counters: Record<string, number>
  k6Code: number
}

function countBy(items: Array<{ what: string }>): Record<string, number> {
  const by: Record<string, number> = {}
  for (const { what } of items) by[what] = (by[what] ?? 0) + 1
  return by
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `check` gives an empty list or `timeoutMs` pass; the last list. */
async function settle(check: () => Promise<string[]>, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const broken = await check()
    if (broken.length === 0 || Date.now() > deadline) return broken
    await sleep(500)
  }
}

/**
 * Starts the system, runs a sale on it with k6, and injects each fault in turn at a known time while
 * the sale goes on; after each, checks the books in MySQL and BullMQ. At the end, k6's teardown checks
 * them through the API too. Failures are read from k6's samples, per fault slot.
 */
export async function runFaults(options: FaultRunOptions): Promise<FaultRun> {
  const { vus, secondsPerFault, log } = options
  const { output, failures: logged } = watchLoggedFailures(options.output)
  const faults = options.only ? FAULTS.filter((f) => options.only?.includes(f.name)) : FAULTS
  const system = await startFaultSystem({ database: options.database, seats: options.seats, output, log })
  const redis = new Redis(system.redis.url, { maxRetriesPerRequest: 1, lazyConnect: true })
  const bus = { redisUrl: system.redis.url, redisPrefix: system.redisPrefix }
  // Restarting Redis is one of the faults: this client reconnects, and a check it fails is retried.
  redis.on('error', () => {})
  let sale: Sale | undefined
  try {
    // The sale goes on until the last check, however long recoveries take; then it is stopped (k6 runs its
    // teardown on SIGINT). An hour is only the bound.
    const duration = 3600
    sale = startSale(
      {
        BASE_URLS: system.gatewayUrls.join(','),
        VUS: String(vus),
        DURATION: String(duration),
        HOLD_SECONDS: String(FAULT_SETTINGS.HOLD_TTL_SECONDS),
        QUEUE_ADMIN_URL: system.queueAdminUrl,
        QUEUE_ADMIN_KEY,
        QUEUE_WAIT_LIMIT: '60',
        CONCERT_OPTION_ID: String(SALE_OPTION_ID),
      },
      output,
    )
    const paid = async () =>
      Number(
        (
          await system.db
            .selectFrom('payment')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirst()
        )?.n ?? 0,
      )
    let saleEnded = false
    sale.done.then(
      () => {
        saleEnded = true
      },
      () => {
        saleEnded = true
      },
    )
    // The sale is under way once payments are being made.
    while ((await paid()) < vus) {
      options.signal?.throwIfAborted()
      if (saleEnded) await sale.done.then(() => Promise.reject(new Error('k6 ended before the sale got going')))
      await sleep(200)
    }
    log(`the sale is under way (${await paid()} payments)`)

    const slots: Array<{ fault: Fault; injectedAt: number; recoveredAt: number; endsAt: number; broken: string[] }> = []
    for (const fault of faults) {
      options.signal?.throwIfAborted()
      log(`${fault.name}: ${fault.what}`)
      const injectedAt = Date.now()
      await fault.inject(system, log)
      const recoveredAt = Date.now()
      log(`${fault.name}: recovered in ${((recoveredAt - injectedAt) / 1000).toFixed(1)} s`)
      const endsAt = Math.max(injectedAt + secondsPerFault * 1000, recoveredAt + 3000)
      await sleep(endsAt - Date.now())
      // Payments a few seconds old have had time to reach every consumer.
      const settledBefore = new Date(Date.now() - 3000)
      await redis.connect().catch(() => {})
      const broken = await settle(
        () => brokenInvariants(system.db, redis, bus, settledBefore, { stillActiveAllowed: true }),
        20_000,
      )
      log(`${fault.name}: ${broken.length ? `${broken.length} invariants broken` : 'invariants hold'}`)
      for (const problem of broken) log(`${fault.name}: broken: ${problem}`)
      slots.push({ fault, injectedAt, recoveredAt, endsAt, broken })
    }
    sale.stop()
    const outcome = await sale.done
    const finalBroken = [
      ...outcome.broken.map((b) => `k6 teardown: ${b}`),
      // Jobs a killed consumer held are run again within a minute of the kill (BullMQ's stall check).
      ...(await settle(() => brokenInvariants(system.db, redis, bus, new Date()), 70_000)),
    ]
    const results = slots.map(({ fault, injectedAt, recoveredAt, endsAt, broken }) => {
      const within = (at: number) => at >= injectedAt && at < endsAt
      const failures = outcome.failures.filter((f) => within(f.at))
      const failedBy = countBy(failures)
      const window = failures.length > 1 ? (failures.at(-1)?.at ?? 0) - (failures[0]?.at ?? 0) : 0
      return {
        fault: fault.name,
        what: fault.what,
        requests: outcome.requests.filter(within).length,
        failed: failures.length,
        failedBy,
        loggedFailures: countBy(logged.filter((e) => within(e.at))),
        failureWindowSeconds: window / 1000,
        recoverySeconds: (recoveredAt - injectedAt) / 1000,
        broken,
        servedAfter: outcome.requests.filter((at) => at >= endsAt - 3000 && at < endsAt).length,
      }
    })
    return { results, finalBroken, counters: outcome.counters, k6Code: outcome.code }
  } finally {
    sale?.stop()
    redis.disconnect()
    await system.stop()
  }
}
