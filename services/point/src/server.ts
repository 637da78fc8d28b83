import { createServer, listen, runMain, serviceTrustPlugin } from '@stagepass/kit'
import { pointApp } from './app.js'
import { loadPointConfig, pointServiceSecrets } from './config.js'

await runMain(async () => {
  const config = loadPointConfig()
  const app = createServer({ service: 'point', config, secrets: pointServiceSecrets })
  await app.register(serviceTrustPlugin, {
    audience: 'point',
    gatewayKeys: config.GATEWAY_ASSERTION_KEYS,
    bookingKeys: config.BOOKING_ASSERTION_KEYS,
  })
  await app.register(pointApp, { mysql: config, settings: config, internalRoutes: true })
  await listen(app, {
    host: config.HOST,
    port: config.PORT,
    graceMs: config.SHUTDOWN_GRACE_MS,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    operations: { host: config.OPS_HOST, port: config.OPS_PORT },
  })
})
