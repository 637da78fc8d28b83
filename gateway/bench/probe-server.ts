/**
 * A monolith gateway with two no-op probe routes, one under a guarded prefix and its unguarded
 * twin: the difference between them is what the queue-token guard costs a protected request.
 */
import { listen, runMain } from '@stagepass/kit'
import { registerGuardProbe } from '@stagepass/queue/bench'
import { buildGateway } from '../src/app.js'
import { loadGatewayConfig } from '../src/config.js'

await runMain(async () => {
  const config = loadGatewayConfig()
  const app = await buildGateway(config)
  registerGuardProbe(app)
  await listen(app, { host: config.HOST, port: config.PORT, graceMs: config.SHUTDOWN_GRACE_MS })
})
