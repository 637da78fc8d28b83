import { ConfigError } from '@stagepass/kit'
import { fromRoot } from './paths.js'

export type Mode = 'split' | 'monolith'

/** The bounded contexts that run as their own process in split mode, in start order. */
export const SERVICES = ['point', 'concert', 'queue', 'booking'] as const
export type ServiceName = (typeof SERVICES)[number]

export const GATEWAY_PORT = 8080
/** Instance i of a service listens on its base port + i (point 3100, 3101, …). */
export const SERVICE_BASE_PORTS: Record<ServiceName, number> = {
  point: 3100,
  concert: 3300,
  queue: 3200,
  booking: 3400,
}
/**
 * Operations ports (`/metrics`, `/health/ready`): the public port + 1000 (gateway 9080, point 4100,
 * 4101, …), so an operator can tell one from the other at a glance.
 */
export const OPERATIONS_PORT_OFFSET = 1000

export interface ProcessSpec {
  name: string
  entry: string
  /** The public port. */
  port: number
  /** The operations port (`/metrics`, `/health/ready`, `/health/live`), set as `OPS_PORT`. */
  opsPort: number
  env: Record<string, string>
}

export interface SystemPlan {
  mode: Mode
  /** `SCALE_<SERVICE>` instances per service (split mode). */
  scale: Partial<Record<ServiceName, number>>
  /** Variables every process gets (database, Redis, keys). */
  env: Record<string, string>
  /** Gateways in front of the contexts (split mode; `SCALE_GATEWAY`): 1 by default. */
  gateways?: number
  gatewayPort: number
  /** Gateway i's public and operations ports: the first gateway's + i by default (8080, 8081, …). */
  gatewayPorts?: (instance: number) => { port: number; opsPort: number }
  servicePort: (service: ServiceName, instance: number) => number
  /** Operations ports: the gateway's (or the monolith's), and each service instance's. */
  gatewayOpsPort: number
  serviceOpsPort: (service: ServiceName, instance: number) => number
}

/**
 * The file a process runs: its package's bundle (`stagepass-bundle`, packages/bundle), which loads in a
 * third of the CPU the compiled modules take; a restarted instance serves sooner.
 */
export const serviceEntry = (service: ServiceName) => fromRoot('services', service, 'dist/bundle/server.mjs')
export const gatewayEntry = fromRoot('gateway', 'dist/bundle/server.mjs')

export function scaleFromEnv(env: NodeJS.ProcessEnv): Partial<Record<ServiceName, number>> {
  const scale: Partial<Record<ServiceName, number>> = {}
  for (const service of SERVICES) {
    const raw = env[`SCALE_${service.toUpperCase()}`]
    if (raw === undefined || raw === '') continue
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 1 || n > 32) {
      throw new ConfigError(`SCALE_${service.toUpperCase()} must be an integer from 1 to 32, got "${raw}"`)
    }
    scale[service] = n
  }
  return scale
}

/** `SCALE_GATEWAY`: gateways in front of the contexts in split mode (1 by default). */
export function gatewaysFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.SCALE_GATEWAY
  if (raw === undefined || raw === '') return 1
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    throw new ConfigError(`SCALE_GATEWAY must be an integer from 1 to 8, got "${raw}"`)
  }
  return n
}

/** A gateway process (`gateway`, or `gateway-1`, `gateway-2`, … when there are several): started last. */
export const isGateway = (spec: { name: string }) => /^gateway(-\d+)?$/.test(spec.name)

/**
 * How long an instance of a scaled context serves on after SIGTERM while reporting not ready: four of
 * the gateway's readiness rounds (250 ms), so every gateway has taken it out of rotation before it
 * stops accepting. One of several gateways does the same for the balancer in front, and closes each
 * client connection after its answer meanwhile, so no client reuses one as it closes.
 */
const SCALED_DRAIN_MS = 1000

/** Which processes make up the system in a mode, with their ports and environment. */
export function planProcesses(plan: SystemPlan): ProcessSpec[] {
  if (plan.mode === 'monolith') {
    return [
      {
        name: 'monolith',
        entry: gatewayEntry,
        port: plan.gatewayPort,
        opsPort: plan.gatewayOpsPort,
        // The queue's admin routes keep the port the queue service would have: never the public one.
        env: {
          ...plan.env,
          MODE: 'monolith',
          PORT: String(plan.gatewayPort),
          OPS_PORT: String(plan.gatewayOpsPort),
          QUEUE_ADMIN_PORT: String(plan.servicePort('queue', 0)),
        },
      },
    ]
  }
  const specs: ProcessSpec[] = []
  const upstreams: Record<string, string> = {}
  const readiness: Record<string, string> = {}
  const instanceUrls = (service: ServiceName, port: (service: ServiceName, i: number) => number) =>
    Array.from({ length: plan.scale[service] ?? 1 }, (_, i) => `http://127.0.0.1:${port(service, i)}`).join(',')
  for (const service of SERVICES) {
    upstreams[`${service.toUpperCase()}_URLS`] = instanceUrls(service, plan.servicePort)
    readiness[`${service.toUpperCase()}_OPS_URLS`] = instanceUrls(service, plan.serviceOpsPort)
  }
  for (const service of SERVICES) {
    const count = plan.scale[service] ?? 1
    for (let i = 0; i < count; i++) {
      const port = plan.servicePort(service, i)
      const opsPort = plan.serviceOpsPort(service, i)
      specs.push({
        name: count > 1 ? `${service}-${i + 1}` : service,
        entry: serviceEntry(service),
        port,
        opsPort,
        // Services find each other the way the gateway finds them (booking calls point's internal routes,
        // and asks the readiness of each point instance).
        env: {
          // One of several: told to stop, it serves on while the gateways take it out of rotation.
          ...(count > 1 ? { SHUTDOWN_DRAIN_MS: String(SCALED_DRAIN_MS) } : {}),
          ...plan.env,
          ...upstreams,
          ...readiness,
          PORT: String(port),
          OPS_PORT: String(opsPort),
          HOST: '127.0.0.1',
        },
      })
    }
  }
  // Each gateway is the same stateless proxy on a port of its own; a load balancer spreads clients over them.
  const gateways = plan.gateways ?? 1
  for (let i = 0; i < gateways; i++) {
    const { port, opsPort } = plan.gatewayPorts?.(i) ?? {
      port: plan.gatewayPort + i,
      opsPort: plan.gatewayOpsPort + i,
    }
    specs.push({
      name: gateways > 1 ? `gateway-${i + 1}` : 'gateway',
      entry: gatewayEntry,
      port,
      opsPort,
      env: {
        ...(gateways > 1 ? { SHUTDOWN_DRAIN_MS: String(SCALED_DRAIN_MS) } : {}),
        ...plan.env,
        ...upstreams,
        ...readiness,
        MODE: 'split',
        PORT: String(port),
        OPS_PORT: String(opsPort),
      },
    })
  }
  return specs
}
