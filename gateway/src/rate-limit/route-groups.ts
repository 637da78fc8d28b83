import type { FastifyRequest } from 'fastify'
import { routeEntryFor } from '../guard/guarded-routes.js'
import type { RouteEntry } from '../route-table.js'

/**
 * The route groups, each with its own limits: joining the line, polling one's place, browsing the
 * catalog, booking and paying, and points. Anything else (health, metrics, unknown paths outside
 * the route table, other queue paths) is not limited.
 */
export const ROUTE_GROUPS = ['join', 'status', 'catalog', 'booking', 'points'] as const
export type RouteGroup = (typeof ROUTE_GROUPS)[number]

const STATUS_PATH = '/queue/tokens/status'

function queueGroupOf(method: string, path: string): RouteGroup | undefined {
  if (method === 'POST' && path === '/queue/tokens') return 'join'
  if (method === 'GET' && path === '/queue/challenge') return 'join'
  if (method === 'GET' && (path === STATUS_PATH || path.startsWith(`${STATUS_PATH}/`))) return 'status'
  return undefined
}

/**
 * The decoded path the router matched: the route's pattern, with a proxy's wildcard replaced by
 * what it matched (already decoded by the router, so `/queue/%74okens` is `/queue/tokens` here as
 * it is for the context behind it). `:param` segments stay as written, which the groups never need.
 */
function matchedPath(request: FastifyRequest): string {
  const pattern = request.routeOptions.url ?? ''
  if (!pattern.endsWith('*')) return pattern
  const rest = (request.params as Record<string, string | undefined>)['*'] ?? ''
  return `${pattern.slice(0, -1)}${rest}`
}

/** The group a request is counted in, if any. HEAD runs a GET route's handler, so it counts as GET. */
export function routeGroupOf(request: FastifyRequest, routes: readonly RouteEntry[]): RouteGroup | undefined {
  const path = matchedPath(request)
  const entry = routeEntryFor(path, routes)
  switch (entry?.service) {
    case 'point':
      return 'points'
    case 'concert':
      return 'catalog'
    case 'booking':
      return 'booking'
    case 'queue':
      return queueGroupOf(request.method === 'HEAD' ? 'GET' : request.method, path)
    default:
      return undefined
  }
}
