import { listen, runMain } from '@stagepass/kit'
import { buildGateway } from './app.js'
import { loadGatewayConfig } from './config.js'

await runMain(async () => {
  const config = loadGatewayConfig()
  const app = await buildGateway(config)
  await listen(app, {
    host: config.HOST,
    port: config.PORT,
    graceMs: config.SHUTDOWN_GRACE_MS,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    operations: { host: config.OPS_HOST, port: config.OPS_PORT },
  })
})
