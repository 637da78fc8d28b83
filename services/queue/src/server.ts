import { createServer, listen, runMain, serviceTrustPlugin } from '@stagepass/kit'
import { queueApp } from './app.js'
import { loadQueueConfig, queueServiceSecrets } from './config.js'

await runMain(async () => {
  const config = loadQueueConfig()
  const app = createServer({ service: 'queue', config, secrets: queueServiceSecrets })
  await app.register(serviceTrustPlugin, { audience: 'queue', gatewayKeys: config.GATEWAY_ASSERTION_KEYS })
  await app.register(queueApp, { config, adminRoutes: true })
  await listen(app, {
    host: config.HOST,
    port: config.PORT,
    graceMs: config.SHUTDOWN_GRACE_MS,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    operations: { host: config.OPS_HOST, port: config.OPS_PORT },
  })
})
