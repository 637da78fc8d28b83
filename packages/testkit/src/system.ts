import { PassThrough } from 'node:stream'
import {
  loadLauncherConfig,
  type Mode,
  planOnFreePorts,
  type RestartPolicy,
  type RunningProcess,
  type ServiceName,
  type SupervisionEnd,
  sharedEnv,
  startProcesses,
  supervise,
} from '@stagepass/launcher'
import { createTestDatabase, type TestDatabase } from './database.js'
import { createTestRedisPrefix } from './redis.js'

interface TestLike {
  teardown(fn: () => unknown): void
  comment(...args: unknown[]): void
  passing(): boolean
}

export interface TestSystem extends TestDatabase {
  mode: Mode
  baseUrl: string
  /** The gateway's (or the monolith's) operations port: `/metrics`, `/health/ready`. Each process's: `spec.opsPort`. */
  opsUrl: string
  redisPrefix: string
  redisUrl: string
  /** REDIS_CLUSTER_NODES of the system: empty on a single Redis. */
  redisClusterNodes: string
  /** What the event bus and BullMQ take: the system's Redis and prefix. */
  bus: { redisUrl: string; redisClusterNodes: string; redisPrefix: string }
  /** The processes, supervised as `npm start` does: one that dies is restarted (same object, new `child`). */
  processes: RunningProcess[]
  /** The operations port where a context's metrics are: its own process (its first instance) in split, the monolith's otherwise. */
  opsUrlOf(context: ServiceName): string
  /** Where `/admin/queue` is served: the queue process's own port in split mode, the admin port in the monolith. */
  queueAdminUrl: string
  /** Everything the processes (and the launcher: `launcher  | …`) printed, for diagnosing a failure. */
  output(): string
  stop(): Promise<Array<number | null>>
  /** Stops one process for good (not restarted): an outage of that instance. */
  retire(proc: RunningProcess, signal?: NodeJS.Signals): Promise<number | null>
  /** Settles when the system has stopped: by `stop()`, or after the launcher gave up on a process. */
  ended: Promise<SupervisionEnd>
}

export interface SystemOptions {
  mode: Mode
  scale?: Partial<Record<ServiceName, number>>
  /** Extra variables for every process (or override the shared ones). */
  env?: Record<string, string>
  /** How the launcher restarts a process that dies (`npm start`'s by default). */
  restartPolicy?: Partial<RestartPolicy>
}

/**
 * The real system as `npm start` runs it (same launcher, same processes, real HTTP), on free ports,
 * with its own database and Redis prefix. Stopped, and its data removed, when the test ends.
 */
export async function startSystem(
  t: TestLike,
  { mode, scale = {}, env = {}, restartPolicy }: SystemOptions,
): Promise<TestSystem> {
  const database = await createTestDatabase(t)
  const redis = createTestRedisPrefix(t)
  const base = loadLauncherConfig()
  const plan = await planOnFreePorts({
    mode,
    scale,
    env: {
      ...sharedEnv({ ...base, ...database.config, REDIS_PREFIX: redis.prefix }),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
      SHUTDOWN_GRACE_MS: '5000',
      // Every process opens its pool at start: three files' systems at once stay within MySQL's
      // default 151 connections.
      MYSQL_POOL_SIZE: '10',
      ...env,
    },
  })
  const redisClusterNodes = env.REDIS_CLUSTER_NODES ?? base.REDIS_CLUSTER_NODES
  const { specs } = plan
  const log: string[] = []
  const output = new PassThrough()
  output.on('data', (chunk: Buffer) => log.push(chunk.toString()))
  const processes = await startProcesses(specs, { output }).catch((err: Error) => {
    // What the process that did not come up said is the only clue to why.
    t.comment(`process output:\n${log.join('')}`)
    throw err
  })
  const supervisor = supervise(processes, {
    output,
    log: (line) => output.write(`launcher  | ${line}\n`),
    policy: restartPolicy,
  })
  const stop = () => supervisor.stop(5000)
  t.teardown(async () => {
    await stop()
    if (!t.passing()) t.comment(`process output:\n${log.join('')}`)
  })
  return {
    ...database,
    mode,
    baseUrl: plan.gatewayUrls[0] as string,
    opsUrl: plan.gatewayOpsUrls[0] as string,
    redisPrefix: redis.prefix,
    redisUrl: redis.url,
    redisClusterNodes,
    bus: { redisUrl: redis.url, redisClusterNodes, redisPrefix: redis.prefix },
    processes,
    opsUrlOf: plan.opsUrlOf,
    queueAdminUrl: `http://127.0.0.1:${queueAdminPort(mode, processes)}`,
    output: () => log.join(''),
    stop,
    retire: supervisor.retire,
    ended: supervisor.ended,
  }
}

/** The port serving `/admin/queue`: the queue process's own in split mode, the admin port in the monolith. */
function queueAdminPort(mode: Mode, processes: RunningProcess[]): number {
  if (mode === 'split') return processes.find((p) => p.spec.name.startsWith('queue'))?.spec.port ?? 0
  return Number(processes[0]?.spec.env.QUEUE_ADMIN_PORT)
}
