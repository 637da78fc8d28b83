import { PassThrough } from 'node:stream'
import type { Db, MysqlConfig } from '@stagepass/db'
import {
  createServer,
  DEVELOPMENT_GATEWAY_ASSERTION_KEYS,
  listenAside,
  QUEUE_USER_HEADER,
  serviceTrustPlugin,
} from '@stagepass/kit'
import {
  loadLauncherConfig,
  type RunningProcess,
  serviceEntry,
  sharedEnv,
  spawnProcess,
  stopAll,
  waitUntilReady,
} from '@stagepass/launcher'
import {
  type ApiClient,
  type ApiResponse,
  apiClient,
  bookingSigner,
  freePort,
  gatewayHeaders,
  ManualClock,
} from '@stagepass/testkit'
import type { FastifyBaseLogger } from 'fastify'
import { bookingApp } from '../../src/app.js'
import type { BookingSettings } from '../../src/config.js'
import { createHttpPointClient, type PointClient } from '../../src/points.js'

export { addPerformance } from '@stagepass/testkit'

interface Teardown {
  teardown(fn: () => unknown): void
}

export const DEFAULT_SETTINGS: BookingSettings = {
  HOLD_TTL_SECONDS: 300,
  MAX_HOLDS_PER_USER_PER_OPTION: 4,
  TAKEN_SEAT_MEMORY_MS: 1000,
  HOLD_SWEEP_INTERVAL_MS: 60_000,
  OUTBOX_POLL_INTERVAL_MS: 100,
  OUTBOX_RETENTION_HOURS: 24,
  PAYMENT_RECONCILE_AFTER_SECONDS: 3600,
  PAYMENT_RECONCILE_INTERVAL_MS: 60_000,
}

/**
 * The real point service as its own process on the test's database (split mode's shape): booking
 * calls its internal routes over HTTP, and tests charge and read balances through its public ones.
 * `env` adds to or overrides its environment.
 */
export async function startPointService(t: Teardown, mysql: MysqlConfig, env: Record<string, string> = {}) {
  const [port, opsPort] = [await freePort(), await freePort()]
  const output = new PassThrough()
  const log: string[] = []
  output.on('data', (chunk: Buffer) => log.push(chunk.toString()))
  const proc: RunningProcess = spawnProcess(
    {
      name: 'point',
      entry: serviceEntry('point'),
      port,
      opsPort,
      env: {
        ...sharedEnv({ ...loadLauncherConfig(), ...mysql }),
        PORT: String(port),
        OPS_PORT: String(opsPort),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        LOG_PRETTY: 'false',
        ...env,
      },
    },
    0,
    { output },
  )
  t.teardown(() => stopAll([proc], 5000))
  await waitUntilReady(proc, '/health/ready')
  const url = `http://127.0.0.1:${port}`
  const api = apiClient(url, { connections: 64 })
  t.teardown(() => api.close())
  return {
    url,
    /** Its operations port: `/metrics`, `/health/ready`. */
    opsUrl: `http://127.0.0.1:${opsPort}`,
    output: () => log.join(''),
    /** Booking's client of point's internal routes, signing as booking does. */
    client: (): PointClient => {
      const client = createHttpPointClient([url], { signer: bookingSigner() })
      t.teardown(() => client.close?.())
      return client
    },
    async charge(userId: number, amount: number) {
      const res = await api.put(
        '/points/charge',
        { userId, amount },
        { headers: gatewayHeaders('point', 'PUT', '/points/charge') },
      )
      if (res.status !== 200) throw new Error(`charge failed: ${res.status} ${JSON.stringify(res.body)}`)
    },
    async balance(userId: number): Promise<number> {
      const path = `/points/current/${userId}`
      const res = await api.get(path, { headers: gatewayHeaders('point', 'GET', path) })
      return res.body.data.currentPoints
    },
  }
}

export type PointService = Awaited<ReturnType<typeof startPointService>>

/** A PointClient for tests that never reach the payment step. */
export const noPoints: PointClient = {
  use: () => Promise.reject(new Error('points are not part of this test')),
  refund: () => Promise.reject(new Error('points are not part of this test')),
}

export interface BookingUnderTest {
  url: string
  api: ApiClient
  /** Its operations port: `/metrics`, `/health/ready`. */
  ops: ApiClient
  /** Booking's clock: real time until the test moves it on (`advance`). */
  clock: ManualClock
  /** Calls a route as the queue token's user would, with the header the gateway's guard sets, signed as the gateway signs it. */
  as(userId: number): {
    reserve(body: unknown): Promise<ApiResponse>
    pay(body: unknown, idempotencyKey?: string): Promise<ApiResponse>
    reservation(id: number | string): Promise<ApiResponse>
  }
  close(): Promise<void>
}

/**
 * The booking app on a real port, built the way the service process builds it (kit's server, the
 * gateway-assertion check, the plugin, real MariaDB and Redis), with the queue user header set by
 * the test and signed as the gateway signs it. Its clock runs with real time unless moved (`stopped`:
 * stands still at start, for tests that set every moment themselves).
 */
export async function startBooking(
  t: Teardown,
  {
    mysql,
    redis,
    points,
    settings = {},
    workers = true,
    failAfterPointUse = false,
    logLevel = 'warn',
    // Pools open every connection at start: a file's instances and the other files running beside
    // it share the test server's 151 connections (as the test systems' pools of 10 do).
    poolSize = 10,
    stopped = false,
  }: {
    mysql: MysqlConfig
    redis: { url: string; prefix: string }
    points: PointClient
    settings?: Partial<BookingSettings>
    workers?: boolean
    failAfterPointUse?: boolean
    /** Quieter for apps whose failures are the point of the test. */
    logLevel?: 'warn' | 'fatal'
    poolSize?: number
    stopped?: boolean
  },
): Promise<BookingUnderTest> {
  const clock = new ManualClock({ running: !stopped })
  const app = createServer({ service: 'booking', config: { LOG_LEVEL: logLevel, LOG_PRETTY: 'false' } })
  await app.register(serviceTrustPlugin, {
    audience: 'booking',
    gatewayKeys: process.env.GATEWAY_ASSERTION_KEYS || DEVELOPMENT_GATEWAY_ASSERTION_KEYS,
  })
  await app.register(bookingApp, {
    mysql: { ...mysql, MYSQL_POOL_SIZE: poolSize },
    redis: { redisUrl: redis.url, redisPrefix: redis.prefix },
    settings: { ...DEFAULT_SETTINGS, ...settings },
    points,
    workers,
    failAfterPointUse,
    clock,
  })
  const url = `http://127.0.0.1:${await listenAside(app, { host: '127.0.0.1', port: 0 })}`
  const api = apiClient(url, { connections: 256 })
  const ops = apiClient(`http://127.0.0.1:${await listenAside(app.operations, { host: '127.0.0.1', port: 0 })}`)
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await api.close()
    await ops.close()
    await app.close()
  }
  t.teardown(close)
  const headers = (method: string, path: string, userId: number, extra: Record<string, string> = {}) => ({
    headers: { ...gatewayHeaders('booking', method, path, { [QUEUE_USER_HEADER]: String(userId) }), ...extra },
  })
  return {
    url,
    api,
    ops,
    clock,
    as: (userId) => ({
      reserve: (body) => api.post('/concerts/reserve-seat', body, headers('POST', '/concerts/reserve-seat', userId)),
      pay: (body, key) =>
        api.post('/payment/pay', body, headers('POST', '/payment/pay', userId, key ? { 'idempotency-key': key } : {})),
      reservation: (id) => api.get(`/reservations/${id}`, headers('GET', `/reservations/${id}`, userId)),
    }),
    close,
  }
}

/** Makes a hold lapse now, as if its time had passed. */
export async function lapseHold(db: Db, reservationId: number): Promise<void> {
  await db
    .updateTable('reservation')
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where('id', '=', reservationId)
    .execute()
}

/**
 * After `lapseHold`, for a test that reserves the same seat again: a booking process that saw the
 * seat taken recalls it until the hold's expiry, for at most TAKEN_SEAT_MEMORY_MS. The expiry moved
 * behind its back, so move booking's clock past that memory, as time would have.
 */
export const forgetTakenSeats = (booking: Pick<BookingUnderTest, 'clock'>) =>
  booking.clock.advance(DEFAULT_SETTINGS.TAKEN_SEAT_MEMORY_MS)

export async function outboxEvents(db: Db, event?: string) {
  let query = db.selectFrom('outbox').selectAll().orderBy('id')
  if (event) query = query.where('event', '=', event)
  const rows = await query.execute()
  return rows.map((row) => ({
    ...row,
    payload: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>,
  }))
}

const noop = () => {}
/** A logger that drops everything, for domain functions called directly by tests. */
export const quietLog = {
  level: 'silent',
  info: noop,
  warn: noop,
  error: noop,
  debug: noop,
  fatal: noop,
  trace: noop,
  silent: noop,
  child() {
    return quietLog
  },
} as unknown as FastifyBaseLogger

/** Hooks for domain functions called directly by tests (no relay to nudge). */
export const quietHooks = { eventsCommitted: noop, holdReleased: noop }
