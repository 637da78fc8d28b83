import type { FastifyInstance } from 'fastify'
import { livenessRoute, type Readiness, readinessRoute } from './health.js'
import { metricsRoute } from './metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The process's operations server (made by `createServer`, opened by `listen`). */
    operations: FastifyInstance
  }
}

/**
 * The routes of a process's operations port: `/metrics`, `/health/ready` and `/health/live`, for
 * Prometheus, orchestrator probes and the split gateway's readiness checks. Sales figures and queue
 * depth are not for the public, and a readiness check queries MySQL, Redis or upstreams, so none of it
 * is on the public port, which keeps only the cheap `/health/live`. Nothing here is counted in the
 * request histogram: scrapes and probes are not traffic.
 */
export function operationsRoutes(operations: FastifyInstance, readiness: Readiness) {
  livenessRoute(operations)
  readinessRoute(operations, readiness)
  metricsRoute(operations)
}
