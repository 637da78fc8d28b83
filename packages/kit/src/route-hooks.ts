import type { RouteOptions } from 'fastify'

type HookName = 'onRequest' | 'preParsing' | 'preValidation'

/**
 * Adds a hook to a route as it is declared (from an `onRoute` hook), after the hooks it already has:
 * checks registered by plugins run in the order the plugins are registered.
 */
export function appendRouteHook<K extends HookName>(route: RouteOptions, name: K, hook: NonNullable<RouteOptions[K]>) {
  const existing = route[name]
  route[name] = [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), hook] as never
}
