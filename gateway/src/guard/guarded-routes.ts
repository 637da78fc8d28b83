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

/** The outermost guarded prefixes (`/concerts`, not also `/concerts/reserve-seat`). */
export function guardedPrefixes(routes: readonly RouteEntry[]): string[] {
  const guarded = routes.filter((route) => route.guarded).map((route) => route.prefix)
  return guarded.filter((prefix) => !guarded.some((outer) => outer !== prefix && prefix.startsWith(`${outer}/`)))
}
