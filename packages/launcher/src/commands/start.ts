import { prepareDatabase } from '../database.js'
import { loadLauncherConfig, sharedEnv } from '../environment.js'
import { preflight } from '../preflight.js'
import { startProcesses } from '../processes.js'
import { supervise } from '../supervisor.js'
import {
  GATEWAY_PORT,
  gatewaysFromEnv,
  type Mode,
  OPERATIONS_PORT_OFFSET,
  planProcesses,
  SERVICE_BASE_PORTS,
  scaleFromEnv,
} from '../topology.js'

/**
 * `npm start` / `npm run start:monolith`: prepare the database, start every process, keep them running
 * (supervisor.ts), stop all on Ctrl-C or SIGTERM.
 */
export async function start(mode: Mode): Promise<number> {
  const config = loadLauncherConfig()
  const scale = scaleFromEnv(process.env)
  const gateways = mode === 'split' ? gatewaysFromEnv(process.env) : 1
  await preflight(config)
  const log = (line: string) => process.stdout.write(`launcher  | ${line}\n`)
  await prepareDatabase(config, log)

  const gatewayPort = Number(process.env.PORT ?? GATEWAY_PORT)
  const gatewayOpsPort = Number(process.env.OPS_PORT ?? gatewayPort + OPERATIONS_PORT_OFFSET)
  const env: Record<string, string> = { ...sharedEnv(config), HOST: process.env.HOST ?? 'localhost' }
  if (process.stdout.isTTY && !process.env.LOG_PRETTY) env.LOG_PRETTY = 'true'
  const specs = planProcesses({
    mode,
    scale,
    env,
    gateways,
    gatewayPort,
    servicePort: (service, i) => SERVICE_BASE_PORTS[service] + i,
    gatewayOpsPort,
    serviceOpsPort: (service, i) => SERVICE_BASE_PORTS[service] + OPERATIONS_PORT_OFFSET + i,
  })
  const procs = await startProcesses(specs, { output: process.stdout, color: process.stdout.isTTY === true })
  const fronts = Array.from({ length: gateways }, (_, i) => `http://localhost:${gatewayPort + i}`).join(', ')
  log(
    `${mode} mode is up: ${gateways > 1 ? 'gateways' : 'gateway'} on ${fronts} (${procs.map((p) => p.spec.name).join(', ')})`,
  )
  log(`operations (metrics, readiness): ${procs.map((p) => `${p.spec.name} :${p.spec.opsPort}`).join(', ')}`)

  // A process that dies is restarted and the others keep serving; one that keeps crashing stops it all.
  const supervisor = supervise(procs, { output: process.stdout, color: process.stdout.isTTY === true, log })
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    log('stopping…')
    void supervisor.stop()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  const { gaveUpOn } = await supervisor.ended
  return gaveUpOn ? 1 : 0
}
