/**
 * A monolith gateway with two no-op probe routes, one under a guarded prefix and its unguarded
 * twin. With PROBE_GUARD=off the same gateway runs with no prefix guarded: the same request to the
 * same route, minus the guard, so the difference between the two processes is what the guard costs.
 */
import { listen, runMain } from '@stagepass/kit'
import { registerGuardProbe } from '@stagepass/queue/bench'
import { buildGateway } from '../src/app.js'
import { loadGatewayConfig } from '../src/config.js'
import { ROUTE_TABLE } from '../src/route-table.js'

await runMain(async () => {
  const config = loadGatewayConfig()
  const guardOff = process.env.PROBE_GUARD === 'off'
  const app = await buildGateway(
    config,
    guardOff ? ROUTE_TABLE.map((route) => ({ ...route, guarded: false })) : ROUTE_TABLE,
  )
  registerGuardProbe(app)
  await listen(app, {
    host: config.HOST,
    port: config.PORT,
    graceMs: config.SHUTDOWN_GRACE_MS,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    operations: { host: config.OPS_HOST, port: config.OPS_PORT },
  })
})
