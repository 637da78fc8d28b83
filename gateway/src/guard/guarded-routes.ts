import type { FastifyRequest } from 'fastify'
import type { RouteEntry } from '../route-table.js'

/** The route-table entry a path belongs to: the longest prefix that matches on a segment boundary. */
export function routeEntryFor(path: string, routes: readonly RouteEntry[]): RouteEntry | undefined {
  let found: RouteEntry | undefined
  for (const route of routes) {
    const matches = path === route.prefix || path.startsWith(`${route.prefix}/`)
    if (matches && (!found || route.prefix.length > found.prefix.length)) found = route
  }
  return found
}

/**
 * Whether a request needs an ACTIVE queue token. The matched route's pattern decides (the router
 * has already normalised encodings, so `/%63oncerts` cannot slip past); an unmatched path is judged
 * as sent, so a protected prefix answers the same in both modes, known sub-path or not.
 */
export function needsQueueToken(request: FastifyRequest, routes: readonly RouteEntry[]): boolean {
  const path = request.routeOptions.url ?? request.url.split('?', 1)[0] ?? ''
  return routeEntryFor(path, routes)?.guarded === true
}
