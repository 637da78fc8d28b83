import { bullmqRedisOf } from '@stagepass/events'
import {
  createServer,
  createServiceAssertionSigner,
  listen,
  parseAssertionKeys,
  runMain,
  serviceTrustPlugin,
} from '@stagepass/kit'
import { bookingApp } from './app.js'
import { bookingServiceSecrets, loadBookingConfig } from './config.js'
import { createHttpPointClient } from './points.js'

await runMain(async () => {
  const config = loadBookingConfig()
  const app = createServer({ service: 'booking', config, secrets: bookingServiceSecrets })
  const points = createHttpPointClient(config.POINT_URLS.split(','), {
    opsUrls: config.POINT_OPS_URLS.split(','),
    log: app.log,
    timeoutMs: config.POINT_TIMEOUT_MS,
    signer: createServiceAssertionSigner({
      caller: 'booking',
      keys: parseAssertionKeys(config.BOOKING_ASSERTION_KEYS),
    }),
  })
  app.addHook('onClose', async () => points.close?.())
  await app.register(serviceTrustPlugin, { audience: 'booking', gatewayKeys: config.GATEWAY_ASSERTION_KEYS })
  await app.register(bookingApp, {
    mysql: config,
    redis: bullmqRedisOf(config),
    settings: config,
    points,
    workers: true,
  })
  await listen(app, {
    host: config.HOST,
    port: config.PORT,
    graceMs: config.SHUTDOWN_GRACE_MS,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    operations: { host: config.OPS_HOST, port: config.OPS_PORT },
  })
})
