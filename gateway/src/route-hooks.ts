import type { onRequestHookHandler, RouteOptions } from 'fastify'

/**
 * Adds an onRequest hook to a route as it is declared (from an `onRoute` hook), after the hooks it
 * already has: the gateway's own checks run in the order their plugins are registered.
 */
export function appendOnRequest(route: RouteOptions, hook: onRequestHookHandler): void {
  const existing =
    route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
  route.onRequest = [...existing, hook]
}
