import { createServer, QUEUE_USER_HEADER } from '@stagepass/kit'
import type { GatewayConfig } from './config.js'
import { registerMonolithMode } from './monolith.js'
import { registerSplitMode } from './split.js'

/** The public entry point: one route table, one guard, and either mode behind them. */
export async function buildGateway(config: GatewayConfig) {
  const app = createServer({ service: config.MODE === 'monolith' ? 'monolith' : 'gateway', config })
  // Only the guard may name the queue user; whatever a client sent is dropped at the edge.
  app.addHook('onRequest', async (request) => {
    delete request.headers[QUEUE_USER_HEADER]
  })
  await app.register(async (gateway) => {
    if (config.MODE === 'monolith') await registerMonolithMode(gateway, config)
    else await registerSplitMode(gateway, config)
  })
  return app
}
