import { PassThrough, type Writable } from 'node:stream'
import { createServerConnection } from '@stagepass/db'
import {
  freePort,
  type LauncherConfig,
  type Mode,
  planProcesses,
  prepareDatabase,
  type RunningProcess,
  removeKeys,
  SERVICES,
  type ServiceName,
  sharedEnv,
  startProcesses,
  stopAll,
  waitUntilReady,
} from '@stagepass/launcher'
import { sql } from 'kysely'

/** One way of running the system that the comparison measures. */
export interface Target {
  name: string
  mode: Mode
  scale: Partial<Record<ServiceName, number>>
}

/**
 * Monolith, split, and one scaled split per `--scale` value ("booking=3" or "booking=3,queue=2").
 */
export function comparisonTargets(scales: string[]): Target[] {
  const targets: Target[] = [
    { name: 'monolith', mode: 'monolith', scale: {} },
    { name: 'split', mode: 'split', scale: {} },
  ]
  for (const spec of scales) {
    const scale: Partial<Record<ServiceName, number>> = {}
    for (const part of spec.split(',')) {
      const [service, count] = part.split('=')
      if (!SERVICES.includes(service as ServiceName)) {
        throw new Error(`--scale ${spec}: "${service}" is not a service (${SERVICES.join(', ')})`)
      }
      const n = Number(count)
      if (!Number.isInteger(n) || n < 1 || n > 32) throw new Error(`--scale ${spec}: instances must be 1 to 32`)
      scale[service as ServiceName] = n
    }
    const label = Object.entries(scale)
      .map(([service, n]) => `${service}×${n}`)
      .join(' ')
    targets.push({ name: `split ${label}`, mode: 'split', scale })
  }
  return targets
}

export interface RunningSystem {
  target: Target
  baseUrl: string
  /** The queue's admin address (its own port in split mode; the monolith's admin listener). */
  adminUrl: string
  processes: RunningProcess[]
  /** Stops every process and removes the system's database and Redis keys. */
  stop(): Promise<void>
}

/**
 * Starts a target the way `npm start` does (same launcher: database prepared and loaded with the
 * demo catalog, processes planned for the mode and scale), on free ports, with a database and
 * Redis prefix of its own so every target starts from the same data.
 */
export async function startTarget(
  target: Target,
  config: LauncherConfig,
  {
    id,
    env = {},
    output = new PassThrough().resume(),
    log,
  }: {
    id: string
    env?: Record<string, string>
    output?: Writable
    log: (line: string) => void
  },
): Promise<RunningSystem> {
  const slug = target.name.replace(/[^a-z0-9]+/gi, '_').toLowerCase()
  const database = { ...config, MYSQL_DATABASE: `sp_compare_${id}_${slug}`.slice(0, 64) }
  const redisPrefix = `sp-compare-${id}-${slug}:`.replace(/_/g, '-')
  const cleanUp = async () => {
    const server = createServerConnection(database)
    try {
      await sql`drop database if exists ${sql.id(database.MYSQL_DATABASE)}`.execute(server)
    } finally {
      await server.destroy()
    }
    await removeKeys(config, `${redisPrefix}*`)
  }
  await prepareDatabase(database, log)
  const ports = new Map<string, number>()
  for (const service of SERVICES) {
    for (let i = 0; i < (target.scale[service] ?? 1); i++) {
      ports.set(`${service}:${i}`, await freePort())
      ports.set(`${service}:${i}:ops`, await freePort())
    }
  }
  const gatewayPort = await freePort()
  const planned = (key: string) => {
    const port = ports.get(key)
    if (port === undefined) throw new Error(`no port planned for ${key}`)
    return port
  }
  const servicePort = (service: ServiceName, i: number) => planned(`${service}:${i}`)
  const specs = planProcesses({
    mode: target.mode,
    scale: target.scale,
    gatewayPort,
    servicePort,
    gatewayOpsPort: await freePort(),
    serviceOpsPort: (service, i) => planned(`${service}:${i}:ops`),
    env: {
      ...sharedEnv({ ...database, REDIS_PREFIX: redisPrefix }),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
      ...env,
    },
  })
  let processes: RunningProcess[] = []
  try {
    processes = await startProcesses(specs, { output })
    const front = processes.find((p) => p.spec.port === gatewayPort) as RunningProcess
    await waitUntilReady(front, '/health/ready', { timeoutMs: 30_000 })
  } catch (err) {
    await stopAll(processes, 5000)
    await cleanUp()
    throw err
  }
  return {
    target,
    baseUrl: `http://127.0.0.1:${gatewayPort}`,
    adminUrl: `http://127.0.0.1:${servicePort('queue', 0)}`,
    processes,
    stop: async () => {
      await stopAll(processes, 10_000)
      await cleanUp()
    },
  }
}
