import { freePort } from './ports.js'
import { type Mode, type ProcessSpec, planProcesses, SERVICES, type ServiceName } from './topology.js'

export interface FreePortPlan {
  specs: ProcessSpec[]
  /** Each gateway's (or the monolith's) public URL, in order. */
  gatewayUrls: string[]
  /** The operations URL of each gateway, likewise. */
  gatewayOpsUrls: string[]
  /** The operations URL of a context's first instance (the monolith's in monolith mode). */
  opsUrlOf(context: ServiceName): string
}

/**
 * The processes of a system on ports free right now (tests, the fault suite): what `npm start` runs,
 * with every public and operations port found free instead of the fixed ones.
 */
export async function planOnFreePorts({
  mode,
  scale = {},
  gateways = 1,
  env,
}: {
  mode: Mode
  scale?: Partial<Record<ServiceName, number>>
  gateways?: number
  env: Record<string, string>
}): Promise<FreePortPlan> {
  const ports = new Map<string, number>()
  const portOf = async (key: string) => {
    ports.set(key, await freePort())
    ports.set(`${key}:ops`, await freePort())
  }
  for (const service of SERVICES) for (let i = 0; i < (scale[service] ?? 1); i++) await portOf(`${service}:${i}`)
  const fronts = mode === 'split' ? gateways : 1
  for (let i = 0; i < fronts; i++) await portOf(`gateway:${i}`)
  const planned = (key: string) => {
    const known = ports.get(key)
    if (known) return known
    throw new Error(`no port planned for ${key}`)
  }
  const specs = planProcesses({
    mode,
    scale,
    gateways: fronts,
    env,
    gatewayPort: planned('gateway:0'),
    gatewayOpsPort: planned('gateway:0:ops'),
    gatewayPorts: (i) => ({ port: planned(`gateway:${i}`), opsPort: planned(`gateway:${i}:ops`) }),
    servicePort: (service, i) => planned(`${service}:${i}`),
    serviceOpsPort: (service, i) => planned(`${service}:${i}:ops`),
  })
  const urls = (suffix: string) =>
    Array.from({ length: fronts }, (_, i) => `http://127.0.0.1:${planned(`gateway:${i}${suffix}`)}`)
  return {
    specs,
    gatewayUrls: urls(''),
    gatewayOpsUrls: urls(':ops'),
    opsUrlOf: (context) =>
      `http://127.0.0.1:${mode === 'monolith' ? planned('gateway:0:ops') : planned(`${context}:0:ops`)}`,
  }
}
