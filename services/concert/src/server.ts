import { bullmqRedisOf } from '@stagepass/events'
import { createServer, listen, runMain, serviceTrustPlugin } from '@stagepass/kit'
import { concertApp } from './app.js'
import { concertServiceSecrets, loadConcertConfig } from './config.js'

await runMain(async () => {
  const config = loadConcertConfig()
  const app = createServer({ service: 'concert', config, secrets: concertServiceSecrets })
  await app.register(serviceTrustPlugin, { audience: 'concert', gatewayKeys: config.GATEWAY_ASSERTION_KEYS })
  await app.register(concertApp, {
    mysql: config,
    redis: bullmqRedisOf(config),
    seatCache: { enabled: config.SEAT_CACHE_ENABLED, ttlMs: config.SEAT_CACHE_TTL_MS },
    consumeEvents: true,
  })
  await listen(app, {
    host: config.HOST,
    port: config.PORT,
    graceMs: config.SHUTDOWN_GRACE_MS,
    drainMs: config.SHUTDOWN_DRAIN_MS,
    operations: { host: config.OPS_HOST, port: config.OPS_PORT },
  })
})
