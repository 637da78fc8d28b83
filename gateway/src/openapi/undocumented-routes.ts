import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { routeEntryFor } from '../guard/guarded-routes.js'
import type { RouteEntry } from '../route-table.js'
import { PUBLIC_ROUTES, type PublicRoute } from './document.js'

export interface UndocumentedRoutesOptions {
  routes: readonly RouteEntry[]
  /** The routes the public document is built from. */
  documented?: readonly PublicRoute[]
}

/**
 * Monolith mode serves the contexts' routes itself: one that the gateway routes but that is not
 * declared public (so is missing from /openapi.json) stops the start, naming it. A route can then
 * not be added to a context without its place in the contract.
 */
export const undocumentedRoutesPlugin = fp<UndocumentedRoutesOptions>(
  async (fastify: FastifyInstance, { routes, documented = PUBLIC_ROUTES }) => {
    const declared = new Set(documented.map((route) => `${route.method} ${route.url}`))
    const undocumented: string[] = []
    fastify.addHook('onRoute', (route) => {
      if (!routeEntryFor(route.url, routes)) return
      // HEAD routes are Fastify's own twins of GET routes.
      const methods = [route.method].flat().filter((method) => method !== 'HEAD')
      for (const method of methods) {
        if (!declared.has(`${method} ${route.url}`)) undocumented.push(`${method} ${route.url}`)
      }
    })
    fastify.addHook('onReady', async () => {
      if (undocumented.length > 0) {
        throw new Error(`routes missing from the public document: ${undocumented.join(', ')}`)
      }
    })
  },
  { name: 'stagepass-undocumented-routes' },
)
