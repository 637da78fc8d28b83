import { prepareDatabase } from '../database.js'
import { loadLauncherConfig, sharedEnv } from '../environment.js'
import { preflight } from '../preflight.js'
import { startProcesses, stopAll } from '../processes.js'
import {
  GATEWAY_PORT,
  type Mode,
  OPERATIONS_PORT_OFFSET,
  planProcesses,
  SERVICE_BASE_PORTS,
  scaleFromEnv,
} from '../topology.js'

/** `npm start` / `npm run start:monolith`: prepare the database, start every process, stop all on Ctrl-C. */
export async function start(mode: Mode): Promise<number> {
  const config = loadLauncherConfig()
  const scale = scaleFromEnv(process.env)
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
    gatewayPort,
    servicePort: (service, i) => SERVICE_BASE_PORTS[service] + i,
    gatewayOpsPort,
    serviceOpsPort: (service, i) => SERVICE_BASE_PORTS[service] + OPERATIONS_PORT_OFFSET + i,
  })
  const procs = await startProcesses(specs, { output: process.stdout, color: process.stdout.isTTY === true })
  log(`${mode} mode is up: gateway on http://localhost:${gatewayPort} (${procs.map((p) => p.spec.name).join(', ')})`)
  log(`operations (metrics, readiness): ${procs.map((p) => `${p.spec.name} :${p.spec.opsPort}`).join(', ')}`)

  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    log('stopping…')
    await stopAll(procs)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)

  // If any process dies on its own, take the rest down too: a half system is worse than none.
  const first = await Promise.race(procs.map((p) => p.exited.then((code) => ({ name: p.spec.name, code }))))
  if (!stopping) {
    log(`${first.name} exited with code ${first.code}; stopping the others`)
    await stop()
    return 1
  }
  await Promise.all(procs.map((p) => p.exited))
  return 0
}
