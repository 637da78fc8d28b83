import { createServer, QUEUE_USER_HEADER, USER_HEADER } from '@stagepass/kit'
import { type GatewayConfig, gatewaySecrets, trustedProxies } from './config.js'
import { registerCors } from './cors.js'
import { queueGuardPlugin } from './guard/plugin.js'
import { registerMonolithMode } from './monolith.js'
import { publicDocumentPlugin } from './openapi/plugin.js'
import { undocumentedRoutesPlugin } from './openapi/undocumented-routes.js'
import { rateLimitPlugin } from './rate-limit/plugin.js'
import { ROUTE_TABLE, type RouteEntry } from './route-table.js'
import { registerSplitMode } from './split.js'
import { registerDevelopmentSignIn } from './user-auth/development-sign-in.js'
import { userAuthPlugin } from './user-auth/user-auth-plugin.js'
import { warnAboutUserAuth } from './user-auth/warnings.js'
import { registerWebApp } from './web-app.js'

/**
 * The public entry point: one route table, one guard, and either mode behind them. `routes` is the
 * route table's guard flags; only the benchmark's unguarded twin passes anything else.
 */
export async function buildGateway(config: GatewayConfig, routes: readonly RouteEntry[] = ROUTE_TABLE) {
  const app = createServer({
    service: config.MODE === 'monolith' ? 'monolith' : 'gateway',
    config,
    trustedProxies: trustedProxies(config),
    secrets: gatewaySecrets(config),
  })
  // Only the guard and the user-token check may name a user; whatever a client sent is dropped at the edge.
  app.addHook('onRequest', (request, _reply, done) => {
    delete request.headers[QUEUE_USER_HEADER]
    delete request.headers[USER_HEADER]
    done()
  })
  // Before any check: a browser's preflight carries no token.
  await registerCors(app, config)
  // Root-level, after the line above: the guard sets the header for protected routes in both modes.
  await app.register(queueGuardPlugin, { config, routes })
  // After the guard: on guarded routes a user token sent beside the queue token must be its user.
  if (config.USER_AUTH === 'jwt') await app.register(userAuthPlugin, { config, routes })
  warnAboutUserAuth(app.log, config)
  // Last of the gateway's checks: the limiter counts a request once the guard and the user-token check
  // have named its user, and before its body is read.
  await app.register(rateLimitPlugin, { config, routes })
  await app.register(publicDocumentPlugin)
  await registerDevelopmentSignIn(app, config)
  // The waiting-room web app at `/`, the same in both modes.
  await registerWebApp(app)
  await app.register(async (gateway) => {
    if (config.MODE === 'monolith') {
      await gateway.register(undocumentedRoutesPlugin, { routes })
      await registerMonolithMode(gateway, config)
    } else await registerSplitMode(gateway, config)
  })
  return app
}
