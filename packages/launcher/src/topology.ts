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

export interface ProcessSpec {
  name: string
  entry: string
  port: number
  env: Record<string, string>
}

export interface SystemPlan {
  mode: Mode
  /** `SCALE_<SERVICE>` instances per service (split mode). */
  scale: Partial<Record<ServiceName, number>>
  /** Variables every process gets (database, Redis, keys). */
  env: Record<string, string>
  gatewayPort: number
  servicePort: (service: ServiceName, instance: number) => number
}

const serviceEntry = (service: ServiceName) => fromRoot('services', service, 'dist/src/server.js')
const gatewayEntry = fromRoot('gateway', 'dist/src/server.js')

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

/** Which processes make up the system in a mode, with their ports and environment. */
export function planProcesses(plan: SystemPlan): ProcessSpec[] {
  if (plan.mode === 'monolith') {
    return [
      {
        name: 'monolith',
        entry: gatewayEntry,
        port: plan.gatewayPort,
        // The queue's admin routes keep the port the queue service would have: never the public one.
        env: {
          ...plan.env,
          MODE: 'monolith',
          PORT: String(plan.gatewayPort),
          QUEUE_ADMIN_PORT: String(plan.servicePort('queue', 0)),
        },
      },
    ]
  }
  const specs: ProcessSpec[] = []
  const upstreams: Record<string, string> = {}
  for (const service of SERVICES) {
    const count = plan.scale[service] ?? 1
    const urls = Array.from({ length: count }, (_, i) => `http://127.0.0.1:${plan.servicePort(service, i)}`)
    upstreams[`${service.toUpperCase()}_URLS`] = urls.join(',')
  }
  for (const service of SERVICES) {
    const count = plan.scale[service] ?? 1
    for (let i = 0; i < count; i++) {
      const port = plan.servicePort(service, i)
      specs.push({
        name: count > 1 ? `${service}-${i + 1}` : service,
        entry: serviceEntry(service),
        port,
        // Services find each other the way the gateway finds them (booking calls point's internal routes).
        env: { ...plan.env, ...upstreams, PORT: String(port), HOST: '127.0.0.1' },
      })
    }
  }
  specs.push({
    name: 'gateway',
    entry: gatewayEntry,
    port: plan.gatewayPort,
    env: { ...plan.env, ...upstreams, MODE: 'split', PORT: String(plan.gatewayPort) },
  })
  return specs
}
