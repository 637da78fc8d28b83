import { createDb, createServerConnection, type Db, ensureDatabase, migrateToLatest, seedDemoData } from '@stagepass/db'
import { sql } from 'kysely'
import { loadLauncherConfig, sharedEnv } from '../environment.js'
import { planOnFreePorts } from '../free-port-plan.js'
import { type RunningProcess, type SpawnOptions, startProcesses } from '../processes.js'
import { type Supervisor, supervise } from '../supervisor.js'
import { TcpProxy } from '../tcp-proxy.js'
import { RedisServer } from './redis-server.js'

/**
 * What the suite shortens so its checks can wait for them: a hold lasts 10 s and a lapsed one is swept
 * within 1 s; an unfinished payment is settled by the reconciler once 5 s old, looked for every second.
 * The waiting room admits at once, so the sale is what is loaded.
 */
export const FAULT_SETTINGS = {
  HOLD_TTL_SECONDS: 10,
  HOLD_SWEEP_INTERVAL_MS: 1000,
  PAYMENT_RECONCILE_AFTER_SECONDS: 5,
  PAYMENT_RECONCILE_INTERVAL_MS: 1000,
} as const

export const QUEUE_ADMIN_KEY = 'stagepass-development-admin-key'

/** The performance on sale: `seats` seats. */
export const SALE_OPTION_ID = 2

export interface FaultSystem {
  db: Db
  /** MySQL as the processes reach it: `disable()` makes it unreachable. */
  mysql: TcpProxy
  /** Their Redis, the suite's own. */
  redis: RedisServer
  redisPrefix: string
  processes: RunningProcess[]
  supervisor: Supervisor
  gatewayUrls: string[]
  /** The first queue instance's public port, where its admin routes are. */
  queueAdminUrl: string
  stop(): Promise<void>
}

export interface FaultSystemOptions extends SpawnOptions {
  /** The database to create (and drop at `stop()`). */
  database: string
  /** Seats of the performance on sale (`SALE_OPTION_ID`). */
  seats: number
  log: (line: string) => void
}

/**
 * The split system under the launcher's supervision, as `npm start` runs it, with two instances of
 * every context and two gateways (so a rolling restart can keep every route served); its MySQL
 * reached through a TCP proxy and its Redis a server of its own, so both can be taken away; its own
 * database with one performance of `seats` seats.
 */
export async function startFaultSystem({ database, seats, log, ...spawn }: FaultSystemOptions): Promise<FaultSystem> {
  const config = { ...loadLauncherConfig(), MYSQL_DATABASE: database }
  const cleanups: Array<() => Promise<unknown>> = []
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
    cleanups.length = 0
  }
  try {
    await ensureDatabase(config)
    cleanups.push(async () => {
      const server = createServerConnection(config)
      await sql`drop database if exists ${sql.id(database)}`.execute(server)
      await server.destroy()
    })
    const db = createDb({ ...config, MYSQL_POOL_SIZE: 4 })
    cleanups.push(() => db.destroy())
    await migrateToLatest(db)
    // Option 1 always has the demo's 100 seats (FIXTURE_OPTION_SEATS): the sale is of option 2.
    await seedDemoData(db, { concerts: 1, optionsPerConcert: 2, seatsPerOption: seats })
    const mysql = new TcpProxy(config.MYSQL_HOST, config.MYSQL_PORT)
    await mysql.enable()
    cleanups.push(() => mysql.disable())
    const redis = await RedisServer.start()
    cleanups.push(() => redis.stop())
    const redisPrefix = 'sp:'
    const plan = await planOnFreePorts({
      mode: 'split',
      scale: { point: 2, concert: 2, booking: 2, queue: 2 },
      gateways: 2,
      env: {
        ...sharedEnv({
          ...config,
          MYSQL_HOST: '127.0.0.1',
          MYSQL_PORT: mysql.port,
          REDIS_URL: redis.url,
          REDIS_PREFIX: redisPrefix,
        }),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        LOG_PRETTY: 'false',
        SHUTDOWN_GRACE_MS: '5000',
        // Ten processes share one server: keep their pools inside MySQL's default connection limit.
        MYSQL_POOL_SIZE: '8',
        QUEUE_ADMIN_KEY,
        QUEUE_ADMIT_PER_SECOND: '5000',
        QUEUE_MAX_ACTIVE: '100000',
        QUEUE_TICK_MS: '50',
        ...Object.fromEntries(Object.entries(FAULT_SETTINGS).map(([k, v]) => [k, String(v)])),
      },
    })
    // Ten processes starting at once on a busy machine can take longer than one does alone.
    const processes = await startProcesses(plan.specs, spawn, { timeoutMs: 90_000 })
    const supervisor = supervise(processes, { ...spawn, log })
    cleanups.push(() => supervisor.stop(5000))
    const queue = plan.specs.find((s) => s.name === 'queue-1')
    return {
      db,
      mysql,
      redis,
      redisPrefix,
      processes,
      supervisor,
      gatewayUrls: plan.gatewayUrls,
      queueAdminUrl: `http://127.0.0.1:${queue?.port}`,
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}
