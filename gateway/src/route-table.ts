/**
 * Which public path prefix belongs to which context. The gateway proxies (split) or mounts
 * (monolith) exactly these; anything else, `/internal/*` included, is a 404 at the edge.
 * A longer prefix wins over a shorter one (`/concerts/reserve-seat` over `/concerts`).
 */
export const SERVICE_NAMES = ['point', 'concert', 'queue', 'booking'] as const
export type ServiceName = (typeof SERVICE_NAMES)[number]

export interface RouteEntry {
  prefix: string
  service: ServiceName
  /** Needs an ACTIVE queue token. */
  guarded: boolean
}

export const ROUTE_TABLE: readonly RouteEntry[] = [
  { prefix: '/points', service: 'point', guarded: false },
  // `/admin/queue` is deliberately absent: it is served on the queue's own port only.
  { prefix: '/queue', service: 'queue', guarded: false },
  { prefix: '/concerts', service: 'concert', guarded: true },
  { prefix: '/concerts/reserve-seat', service: 'booking', guarded: true },
  { prefix: '/payment', service: 'booking', guarded: true },
  { prefix: '/reservations', service: 'booking', guarded: true },
]
